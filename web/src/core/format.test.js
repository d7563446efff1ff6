import { test } from "node:test";
import assert from "node:assert/strict";
import { byteSize, fullAddress, addressList, addressName, shortDate } from "./format.js";

test("sizes read like a mail client's", () => {
  assert.equal(byteSize(532), "532 B");
  assert.equal(byteSize(14_200), "14 KB");
  assert.equal(byteSize(3_200_000), "3.2 MB");
  assert.equal(byteSize(-1), "");
});

test("addresses show the name and the address once", () => {
  assert.equal(fullAddress({ name: "Alice", address: "alice@example.org" }), "Alice <alice@example.org>");
  assert.equal(fullAddress({ name: "bob@example.org", address: "bob@example.org" }), "bob@example.org");
  assert.equal(fullAddress({ name: null, address: "c@example.org" }), "c@example.org");
  assert.equal(addressList([{ name: "A", address: "a@x" }, { name: null, address: "b@x" }]), "A <a@x>, b@x");
  assert.equal(addressName(undefined), "");
});

test("list dates: time today, day this year, full date before", () => {
  const now = new Date("2026-11-25T15:00:00Z");
  assert.notEqual(shortDate("2026-11-25T09:30:00Z", now), shortDate("2026-03-02T09:30:00Z", now));
  assert.match(shortDate("2019-03-02T09:30:00Z", now), /2019/);
  assert.equal(shortDate(null, now), "");
  assert.equal(shortDate("not a date", now), "");
});
