// Address fields as people type and paste into them, and the suggestions
// they get: what Thunderbird's and Roundcube's address fields accept.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAddresses, formatAddresses, splitAddressList, isAddress, Correspondents } from "./addresses.js";

test("typed addresses parse with names, commas in quotes, and say what is not an address", () => {
  const { mailboxes, invalid } = parseAddresses('"Doe, John" <john@example.org>, bob@example.org; not an address, <x@y>');
  assert.deepEqual(mailboxes, [
    { name: "Doe, John", address: "john@example.org" },
    { name: null, address: "bob@example.org" },
    { name: null, address: "x@y" },
  ]);
  assert.deepEqual(invalid, ["not an address"]);
  assert.equal(formatAddresses(mailboxes), '"Doe, John" <john@example.org>, bob@example.org, x@y');
});

test("groups give their members, comments and escaped quotes are read as RFC 5322 has them", () => {
  const { mailboxes, invalid } = parseAddresses('Team: ann@example.org, "Bo \\"B\\" Smith" <bo@example.org>;, carl@example.org (work), undisclosed-recipients:;');
  assert.deepEqual(mailboxes, [
    { name: null, address: "ann@example.org" },
    { name: 'Bo "B" Smith', address: "bo@example.org" },
    { name: null, address: "carl@example.org" },
  ]);
  assert.deepEqual(invalid, []);
  assert.equal(formatAddresses([mailboxes[1]]), '"Bo \\"B\\" Smith" <bo@example.org>');
});

test("an entry still being typed stays open; a separator ends it", () => {
  assert.deepEqual(splitAddressList("ann@example.org, bo"), { entries: ["ann@example.org"], open: "bo" });
  assert.deepEqual(splitAddressList('"Smith, Bo" <bo@ex'), { entries: [], open: '"Smith, Bo" <bo@ex' });
  assert.deepEqual(splitAddressList("Bo <bo@example.org>;"), { entries: ["Bo <bo@example.org>"], open: "" });
});

test("nothing that could break a header or an SMTP command counts as an address", () => {
  for (const bad of ["bob@example.org\r\nBcc: eve@evil.example", "bo<b@example.org", "bob@exa>mple.org", "bob\0@example.org", "bob@", "@example.org", "bo b@example.org", "bob..x@example.org", "bob@example..org"]) {
    assert.equal(isAddress(bad), false, JSON.stringify(bad));
  }
  const { mailboxes, invalid } = parseAddresses("Bob <bob@example.org\r\nRCPT TO:<eve@evil.example>>");
  assert.deepEqual(mailboxes, []);
  assert.equal(invalid.length, 1);
  for (const good of ["bob@example.org", '"bob smith"@example.org', "bob@[192.0.2.1]", "büro@bücher.example"]) assert.equal(isAddress(good), true, good);
});

/** A Storage stand-in: what the page's localStorage keeps. */
function memoryStorage() {
  const items = new Map();
  return { getItem: (key) => items.get(key) ?? null, setItem: (key, value) => items.set(key, String(value)), removeItem: (key) => items.delete(key) };
}

test("suggestions rank people by how often and how lately they were seen, and survive a reload", () => {
  const storage = memoryStorage();
  const day = 24 * 3600 * 1000;
  const people = new Correspondents("alice@example.org", storage);
  // Ann: five messages a year ago; Andy: two last week; Anna: once, today.
  for (let index = 0; index < 5; index++) people.seen([{ name: "Ann Old", address: "ann@example.org" }], { date: Date.now() - 365 * day, key: `old-${index}` });
  people.seen([{ name: "Andy", address: "andy@example.org" }], { date: Date.now() - 7 * day, key: "a" });
  people.seen([{ name: "Andy", address: "ANDY@example.org" }], { date: Date.now() - 6 * day, key: "b" });
  people.seen([{ name: "Anna Lee", address: "lee@example.org" }], { key: "c" });
  // The same message fetched again as the user scrolls back counts once.
  people.seen([{ name: "Anna Lee", address: "lee@example.org" }], { key: "c" });
  assert.deepEqual(
    people.suggest("an").map((person) => person.address),
    ["andy@example.org", "lee@example.org", "ann@example.org"],
  );
  assert.deepEqual(people.suggest("lee"), [{ name: "Anna Lee", address: "lee@example.org" }], "a word of the name or the address matches");
  assert.deepEqual(people.suggest("an", { except: ["ANDY@example.org"] }).map((person) => person.address), ["lee@example.org", "ann@example.org"]);
  people.save();
  const reloaded = new Correspondents("Alice@example.org", storage);
  assert.deepEqual(reloaded.suggest("an").map((person) => person.address), ["andy@example.org", "lee@example.org", "ann@example.org"]);
  assert.deepEqual(new Correspondents("bob@example.org", storage).suggest("an"), [], "each user has their own");
});
