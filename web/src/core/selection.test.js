import { test } from "node:test";
import assert from "node:assert/strict";
import { Selection } from "./selection.js";

const rows = (uids) => ({ uids, length: uids.length, indexOf: (uid) => uids.indexOf(uid) });

test("click selects one, Ctrl toggles, Shift selects the range from the anchor", () => {
  const list = rows([50, 40, 30, 20, 10]);
  const selection = new Selection();
  selection.click(list, 40);
  assert.deepEqual([...selection.selected], [40]);
  selection.click(list, 20, { range: true });
  assert.deepEqual(selection.ordered(list), [40, 30, 20]);
  selection.click(list, 30, { toggle: true });
  assert.deepEqual(selection.ordered(list), [40, 20]);
  selection.click(list, 50, { toggle: true });
  assert.deepEqual(selection.ordered(list), [50, 40, 20]);
  selection.click(list, 10);
  assert.deepEqual(selection.ordered(list), [10]);
});

test("moving the focus selects the next row, stops at the ends, and Shift extends", () => {
  const list = rows([5, 4, 3, 2, 1]);
  const selection = new Selection();
  assert.equal(selection.move(list, 1), 5, "the first move lands on the first row");
  assert.equal(selection.move(list, 1), 4);
  assert.equal(selection.move(list, 1, { extend: true }), 3);
  assert.deepEqual(selection.ordered(list), [4, 3]);
  assert.equal(selection.move(list, -10), 5);
  assert.equal(selection.move(list, 10), 1);
  assert.equal(new Selection().move(rows([]), 1), null);
});

test("rows that leave the list leave the selection", () => {
  const selection = new Selection();
  selection.all(rows([1, 2, 3]));
  selection.focus = 2;
  selection.retain(rows([1, 3]));
  assert.deepEqual([...selection.selected].sort(), [1, 3]);
  assert.equal(selection.focus, null);
});
