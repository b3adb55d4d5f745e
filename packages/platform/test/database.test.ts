import { createTestDatabase, type TestDatabase } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database, isUniqueViolation } from "../src/database.ts";
import { PlatformMetrics } from "../src/metrics.ts";
import { queryPage } from "../src/paged-query.ts";
import { createPgliteDriver } from "../src/pglite-driver.ts";
import { createPostgresDriver } from "../src/postgres-driver.ts";

const metrics = new PlatformMetrics();
const counted = (service: string) => metrics.value("db_queries_total", { service });

let pgDatabase: TestDatabase;
beforeAll(async () => {
  pgDatabase = await createTestDatabase();
});
afterAll(async () => {
  await pgDatabase.drop();
});

// The same contract for both drivers: what runs on PGlite in `npm start` runs on PostgreSQL in production.
describe.each([
  ["postgres", async () => createPostgresDriver(pgDatabase.url, 4)],
  ["pglite", async () => createPgliteDriver(undefined)],
] as const)("Database on %s", (kind, makeDriver) => {
  let db: Database;
  beforeAll(async () => {
    db = new Database(await makeDriver(), `db-test-${kind}`, metrics.dbQueries);
    await db.query("CREATE TABLE items (id bigint PRIMARY KEY, name text UNIQUE, price numeric)");
  });
  afterAll(async () => {
    await db.close();
  });

  it("runs parameterised queries and returns int8 and numeric as numbers", async () => {
    await db.query("INSERT INTO items VALUES ($1, $2, $3)", [1, "a", "12.5"]);
    const rows = await db.query<{ id: number; price: number; n: number }>(
      "SELECT id, price, (SELECT count(*) FROM items) AS n FROM items WHERE id = $1",
      [1],
    );
    expect(rows).toEqual([{ id: 1, price: 12.5, n: 1 }]);
    expect(db.kind).toBe(kind);
  });

  it("commits a transaction, and rolls it back on error", async () => {
    await db.transaction(async (tx) => {
      await tx.query("INSERT INTO items VALUES (2, 'b', 1)");
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO items VALUES (3, 'c', 1)");
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    const ids = (await db.query<{ id: number }>("SELECT id FROM items ORDER BY id")).map((r) => r.id);
    expect(ids).toEqual([1, 2]);
  });

  it("counts every statement in db_queries_total under its service label", async () => {
    const before = await counted(`db-test-${kind}`);
    await db.query("SELECT 1");
    await db.transaction(async (tx) => {
      await tx.query("SELECT 1");
      await tx.query("SELECT 2");
    });
    // 1 + BEGIN + 2 + COMMIT
    expect((await counted(`db-test-${kind}`)) - before).toBe(5);
    const other = db.forService(`db-test-${kind}-view`);
    await other.query("SELECT 1");
    expect(await counted(`db-test-${kind}-view`)).toBe(1);
  });

  it("recognises a unique violation", async () => {
    const err = await db.query("INSERT INTO items VALUES (9, 'a', 0)").catch((e) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(isUniqueViolation(new Error("x"))).toBe(false);
  });

  it("pages with a total, also past the end", async () => {
    const page = await queryPage<{ id: number }>(db, {
      columns: "id",
      from: "items",
      where: ["id >= $1"],
      params: [1],
      orderBy: "id",
      limit: 1,
      offset: 1,
    });
    expect(page).toEqual({ rows: [expect.objectContaining({ id: 2 })], total: 2 });
    const past = await queryPage(db, {
      columns: "id",
      from: "items",
      where: [],
      params: [],
      orderBy: "id",
      limit: 5,
      offset: 10,
    });
    expect(past).toEqual({ rows: [], total: 2 });
  });
});
