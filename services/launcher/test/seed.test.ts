import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ORDER_STATUSES } from "@printfab/contracts";
import { createLogger, loadConfig } from "@printfab/platform";
import { createTestDatabase, type TestDatabase } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRandom } from "../src/random.ts";
import { demoModels, isEmpty, resetData, seed, seedModels } from "../src/seed.ts";
import { type Infrastructure, migrateServices, openInfrastructure, SERVICES } from "../src/system.ts";

/** The launcher's own infrastructure on a private PostgreSQL database and a folder object store. */
let database: TestDatabase;
let dataDir: string;
let sys: Infrastructure;
beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), "printfab-seed-test-"));
  const env = { DATABASE_URL: database.url, DATA_DIR: dataDir, CACHE: "off", MESH_THREADS: "1", SEED: "off" };
  sys = await openInfrastructure(loadConfig(env, { requireSecret: false }), createLogger("silent"));
  await migrateServices(sys.db, SERVICES);
});
afterAll(async () => {
  await sys.close();
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const count = async (table: string) => (await sys.db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n;

describe("seed", () => {
  it("writes the asked sizes, every status with a history that leads to it, and reports progress", async () => {
    expect(await isEmpty(sys.db)).toBe(true);
    const progress: string[] = [];
    await seed(sys.db, { products: 2500, customers: 30, orders: 4100 }, (phase, done, total) =>
      progress.push(`${phase} ${done}/${total}`),
    );
    expect(await count("shop.products")).toBe(2500);
    expect(await count("crm.customers")).toBe(30);
    expect(await count("mes.orders")).toBe(4100);
    expect(progress).toEqual([
      "products 2000/2500",
      "products 2500/2500",
      "customers 30/30",
      "orders 2000/4100",
      "orders 4000/4100",
      "orders 4100/4100",
    ]);
    const statuses = await sys.db.query<{ status: string }>("SELECT DISTINCT status FROM mes.orders ORDER BY status");
    expect(statuses.map((s) => s.status).sort()).toEqual([...ORDER_STATUSES].sort());
    const mismatched = await sys.db.query(
      `SELECT o.id FROM mes.orders o
       JOIN LATERAL (SELECT to_status FROM mes.order_status_history h WHERE h.order_id = o.id ORDER BY id DESC LIMIT 1) last ON true
       WHERE last.to_status <> o.status`,
    );
    expect(mismatched).toEqual([]);
    const wrongTotals = await sys.db.query(
      `SELECT o.id FROM mes.orders o JOIN mes.order_items i ON i.order_id = o.id
       GROUP BY o.id, o.total_cents HAVING sum(i.quantity * i.unit_price_cents) <> o.total_cents`,
    );
    expect(wrongTotals).toEqual([]);
    // Every email passes the API's own format, so a customer can send their profile back unchanged.
    const emails = await sys.db.query<{ email: string }>("SELECT email FROM crm.customers");
    for (const { email } of emails) expect(email).toMatch(/^[a-z0-9.'-]+@example\.com$/);
    expect(await isEmpty(sys.db)).toBe(false);
  });

  it("appends with unique emails, and resets", async () => {
    await seed(sys.db, { products: 1, customers: 30, orders: 1 });
    expect(await count("crm.customers")).toBe(60);
    await resetData(sys.db);
    expect(await count("mes.orders")).toBe(0);
    expect(await isEmpty(sys.db)).toBe(true);
  });
});

describe("seedModels", () => {
  it("stores each demo model once with metadata and preview, and gives every product one", async () => {
    await seed(sys.db, { products: 40, customers: 1, orders: 0 });
    const progress: number[] = [];
    await seedModels(sys.db, sys.objectStore, sys.meshPool, (_p, done) => progress.push(done));
    expect(progress.at(-1)).toBe(demoModels().length);
    const rows = await sys.db.query<{ model_key: string; model_sha256: string }>(
      "SELECT model_key, model_sha256 FROM shop.products",
    );
    expect(rows.every((r) => r.model_key?.startsWith("models/") && r.model_sha256?.length === 64)).toBe(true);
    expect(new Set(rows.map((r) => r.model_sha256)).size).toBe(demoModels().length);
    const sha = rows[0]?.model_sha256 as string;
    expect(await sys.objectStore.head(`metadata/${sha}.json`)).not.toBeNull();
    expect(await sys.objectStore.head(`previews/${sha}/256.png`)).not.toBeNull();
  });
});

describe("createRandom", () => {
  it("is deterministic for a seed and stays in range", () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const xs = Array.from({ length: 1000 }, () => a.int(3, 9));
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.int(3, 9)));
    expect(Math.min(...xs)).toBe(3);
    expect(Math.max(...xs)).toBe(9);
    expect(["x", "y"]).toContain(a.pick(["x", "y"]));
  });
});
