import { test } from "node:test";
import assert from "node:assert/strict";
import { commandFor, SHORTCUTS } from "./shortcuts.js";

test("the documented keys map to their commands", () => {
  const map = (key, extra = {}) => commandFor({ key, ...extra }, { typing: false });
  assert.equal(map("j"), "next");
  assert.equal(map("ArrowUp"), "previous");
  assert.equal(map("ArrowDown", { shiftKey: true }), "extend-next");
  assert.equal(map("o"), "open");
  assert.equal(map("Enter"), "open");
  assert.equal(map("#"), "delete");
  assert.equal(map("Delete"), "delete");
  assert.equal(map("e"), "archive");
  assert.equal(map("s"), "flag");
  assert.equal(map("u"), "read");
  assert.equal(map("c"), "compose");
  assert.equal(map("r"), "reply");
  assert.equal(map("a"), "reply-all", "a alone answers all; Ctrl+A still selects all");
  assert.equal(map("f"), "forward");
  assert.equal(map("/"), "search");
  assert.equal(map("?"), "help");
  assert.equal(map("Escape"), "escape");
  assert.equal(map("a", { ctrlKey: true }), "select-all");
  assert.equal(map("a", { metaKey: true }), "select-all");
  assert.equal(map("x"), null);
  assert.equal(map("e", { ctrlKey: true }), null, "browser shortcuts stay the browser's");
  assert.ok(SHORTCUTS.length >= 10);
});

test("typing in a field only Escape is taken", () => {
  assert.equal(commandFor({ key: "j" }, { typing: true }), null);
  assert.equal(commandFor({ key: "Delete" }, { typing: true }), null);
  assert.equal(commandFor({ key: "Escape" }, { typing: true }), "escape");
});
