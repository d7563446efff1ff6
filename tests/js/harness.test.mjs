// The harness from JavaScript: a generated corpus is served by a private Dovecot.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startDovecot } from "./harness.mjs";

/** A minimal line-based IMAP conversation over a socket, enough to check the harness. */
function imapSession(port) {
  const socket = net.connect(port, "127.0.0.1");
  let buffer = "";
  const waiters = [];
  socket.setEncoding("latin1");
  socket.on("data", (chunk) => {
    buffer += chunk;
    for (const waiter of [...waiters]) waiter();
  });
  const until = (predicate) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = predicate(buffer);
        if (found !== undefined) {
          waiters.splice(waiters.indexOf(check), 1);
          resolve(found);
        }
      };
      waiters.push(check);
      socket.once("error", reject);
      check();
    });
  let tag = 0;
  return {
    greeting: () => until((text) => (text.includes("\r\n") ? text.slice(0, text.indexOf("\r\n")) : undefined)),
    async command(line) {
      const id = `j${++tag}`;
      const start = buffer.length;
      socket.write(`${id} ${line}\r\n`);
      return until((text) => {
        const done = text.indexOf(`\r\n${id} `, start - 2);
        if (done < 0) return undefined;
        const end = text.indexOf("\r\n", done + 2);
        return end < 0 ? undefined : text.slice(start, end + 2);
      });
    },
    close: () => socket.destroy(),
  };
}

test("a JS test logs in to the harness, selects INBOX and fetches a generated message", async () => {
  const server = await startDovecot({ messages: 25, seed: 11, largeAttachment: false });
  try {
    const inbox = server.folders.find((folder) => folder.name === "INBOX");
    assert.ok(inbox.messages > 0);
    const imap = imapSession(server.imap_port);
    assert.match(await imap.greeting(), /^\* OK \[CAPABILITY .*STARTTLS/);
    const { username, password } = server.users[0];
    assert.match(await imap.command(`LOGIN ${username} ${password}`), /OK .*Logged in/);
    const select = await imap.command("SELECT INBOX");
    assert.match(select, new RegExp(`\\* ${inbox.messages} EXISTS`));
    const fetch = await imap.command("UID FETCH 2 (UID ENVELOPE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
    assert.match(fetch, /Message-ID: <1\.11@corpus\.example\.org>/);
    assert.match(fetch, /j3 OK/);
    imap.close();
  } finally {
    await server.stop();
  }
});
