import { test } from "node:test";
import assert from "node:assert/strict";
import { linkRuns } from "./text-links.js";

const links = (text) => linkRuns(text).filter((run) => run.href).map((run) => [run.text, run.href]);

test("web and mail addresses become links; sentence punctuation stays outside", () => {
  assert.deepEqual(links("See https://example.org/a?b=1, or www.example.com."), [
    ["https://example.org/a?b=1", "https://example.org/a?b=1"],
    ["www.example.com", "https://www.example.com"],
  ]);
  assert.deepEqual(links("Write to alice@example.org!"), [["alice@example.org", "mailto:alice@example.org"]]);
  assert.deepEqual(links("(https://en.wikipedia.org/wiki/Foo_(bar))"), [["https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"]]);
});

test("other schemes are never links, and the text survives whole", () => {
  const text = "javascript:alert(1) <script>x</script> data:text/html,hi";
  assert.deepEqual(links(text), []);
  assert.equal(linkRuns(text).map((run) => run.text).join(""), text);
  const mixed = "a https://x.org b";
  assert.equal(linkRuns(mixed).map((run) => run.text).join(""), mixed);
});
