// Parse-and-model throughput on one captured Dovecot stream, three ways in one run:
// the engine natively, the same engine as wasm in Node, and imapflow's parser and
// message formatter in Node. Prints a Markdown table.
//
//   node tests/bench/parse.mjs CAPTURE WASM_PKG_DIR NATIVE_BENCH_BINARY [ROUNDS]
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { ImapStream } from "imapflow/lib/handler/imap-stream.js";
import parser from "imapflow/lib/handler/imap-parser.js";
import { formatMessageResponse } from "imapflow/lib/tools.js";

const [capturePath, pkgDir, nativeBinary, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 5);
const data = readFileSync(capturePath);
const megabytes = data.length / 1e6;

const wasm = await import(`${pkgDir}/client_wasm.js`);
await wasm.default({ module_or_path: readFileSync(`${pkgDir}/client_wasm_bg.wasm`) });

/** imapflow as it processes a FETCH stream: framing, parsing, then formatting each message. */
async function imapflowRows() {
  const stream = new ImapStream();
  const mailbox = { path: "INBOX", uidValidity: 1n };
  let rows = 0;
  const done = new Promise((resolve, reject) => {
    stream.on("data", async (item) => {
      try {
        const parsed = await parser(item.payload, { literals: item.literals });
        if (parsed.tag === "*" && parsed.attributes?.[0]?.value?.toUpperCase?.() === "FETCH") {
          if (await formatMessageResponse(parsed, mailbox, false, {})) rows++;
        }
      } catch (error) {
        reject(error);
      }
      item.next();
    });
    stream.on("end", resolve);
  });
  for (let offset = 0; offset < data.length; offset += 65536) stream.write(data.subarray(offset, offset + 65536));
  stream.end();
  await done;
  return rows;
}

async function best(run) {
  let seconds = Infinity;
  let rows = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    rows = await run();
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
  }
  return { seconds, rows };
}

const native = JSON.parse(execFileSync(nativeBinary, [capturePath, "--rounds", String(rounds)], { encoding: "utf8" }));
const inWasm = await best(() => wasm.benchSummariesFromCapture(data));
const imapflow = await best(imapflowRows);
const rate = (seconds) => megabytes / seconds;
const rowsOf = (label, seconds, rows) =>
  `| ${label} | ${seconds.toFixed(3)} s | ${rate(seconds).toFixed(1)} MB/s | ${Math.round(rows / seconds).toLocaleString("en")} | ${(rate(seconds) / rate(imapflow.seconds)).toFixed(2)}x |`;
console.log(`Parse-and-model of ${native.rows.toLocaleString("en")} messages, ${megabytes.toFixed(1)} MB of \`UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)\` from Dovecot, best of ${rounds}:\n`);
console.log("| parser | time | throughput | messages/s | vs imapflow |");
console.log("|---|---|---|---|---|");
console.log(rowsOf("client-wasm, native", native.native_model_seconds, native.rows));
console.log(rowsOf("client-wasm, wasm in Node", inWasm.seconds, inWasm.rows));
console.log(rowsOf("imapflow 2.10.2 (parser + formatMessageResponse)", imapflow.seconds, imapflow.rows));
console.log(`\nParse only (framed responses to typed values, no model): client-wasm ${native.native_parse_mb_per_s.toFixed(0)} MB/s, imap-proto 0.17 ${native.imap_proto_mb_per_s.toFixed(0)} MB/s (native).`);
if (inWasm.rows !== native.rows || imapflow.rows !== native.rows) {
  console.error(`row counts differ: native ${native.rows}, wasm ${inWasm.rows}, imapflow ${imapflow.rows}`);
  process.exit(1);
}
