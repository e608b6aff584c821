// Where claims take the checked write (claim-statement.ts): PostgreSQL, and MySQL/MariaDB unless the
// server is a Galera node, where a multi-statement script is not one transaction.
import { expect, it } from "vitest";
import { capabilitiesFor } from "../../src/db/capabilities.js";
import type { Store } from "../../src/db/open.js";
import { checkedWrites } from "../../src/objects/claim-statement.js";

const mysql = (galera?: () => Promise<boolean>) => ({ caps: capabilitiesFor("mysql"), runScript: async () => [], galera }) as unknown as Store;

it("MySQL takes the checked write unless the server is a Galera node, or cannot say", async () => {
  expect(await checkedWrites(mysql(async () => false))).toBe(true);
  expect(await checkedWrites(mysql(async () => true))).toBe(false);
  expect(await checkedWrites(mysql(() => Promise.reject(new Error("connect ECONNREFUSED"))))).toBe(false);
  expect(await checkedWrites({ caps: capabilitiesFor("mysql") } as unknown as Store)).toBe(false);
});

it("PostgreSQL takes it always, SQLite never", async () => {
  expect(await checkedWrites({ caps: capabilitiesFor("postgres") } as unknown as Store)).toBe(true);
  expect(await checkedWrites({ caps: capabilitiesFor("sqlite") } as unknown as Store)).toBe(false);
});
