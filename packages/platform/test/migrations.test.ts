import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createTestDatabase, type TestDatabase } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../src/database.ts";
import { migrate, readMigrations } from "../src/migrations.ts";
import { createPgliteDriver } from "../src/pglite-driver.ts";
import { createPostgresDriver } from "../src/postgres-driver.ts";

const run = promisify(execFile);
const fixtures = fileURLToPath(new URL("./fixtures/migrations", import.meta.url));
const script = fileURLToPath(new URL("./fixtures/migrate-once.ts", import.meta.url));

describe("migrations", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it("reads NNN_name.sql files in order and refuses gaps", async () => {
    const ms = await readMigrations(fixtures);
    expect(ms.map((m) => [m.version, m.name])).toEqual([
      [1, "things"],
      [2, "more"],
    ]);
    const dir = await mkdtemp(join(tmpdir(), "mig-"));
    await writeFile(join(dir, "001_a.sql"), "SELECT 1;");
    await writeFile(join(dir, "003_c.sql"), "SELECT 1;");
    await expect(readMigrations(dir)).rejects.toThrow(/without gaps/);
    await writeFile(join(dir, "bad name.sql"), "SELECT 1;");
    await expect(readMigrations(dir)).rejects.toThrow(/NNN_name/);
    await rm(dir, { recursive: true });
  });

  it("applies once and is a no-op the second time (PGlite)", async () => {
    const db = new Database(await createPgliteDriver(undefined), "test");
    const ms = await readMigrations(fixtures);
    expect(await migrate(db, "fixture", ms)).toEqual([1, 2]);
    expect(await migrate(db, "fixture", ms)).toEqual([]);
    await db.query("INSERT INTO fixture.things (id, name, size) VALUES (1, 'x', 3)");
    await db.close();
  });

  it("is safe when two processes migrate one PostgreSQL database at once", async () => {
    const both = await Promise.all(
      [0, 1].map(() => run(process.execPath, ["--import", "tsx", script, database.url], { timeout: 30_000 })),
    );
    const applied = both.map((r) => JSON.parse(r.stdout) as number[]).sort((a, b) => b.length - a.length);
    // Exactly one of them did the work; the other waited on the lock and found nothing left.
    expect(applied).toEqual([[1, 2], []]);
    const db = new Database(createPostgresDriver(database.url, 1), "test");
    const rows = await db.query<{ version: number }>("SELECT version FROM fixture.schema_migrations ORDER BY version");
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect(await migrate(db, "fixture", await readMigrations(fixtures))).toEqual([]);
    await db.close();
  });

  it("refuses a schema name that is not an identifier", async () => {
    const db = new Database(await createPgliteDriver(undefined), "test");
    await expect(migrate(db, "x; DROP TABLE y", [])).rejects.toThrow(/invalid schema/);
    await db.close();
  });
});
