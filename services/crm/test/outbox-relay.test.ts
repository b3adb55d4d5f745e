import { randomBytes } from "node:crypto";
import type { CustomerChanged } from "@printfab/contracts";
import {
  type CacheFactory,
  type CacheTtls,
  cacheTtls,
  createCacheFactory,
  createLogger,
  createPostgresDriver,
  Database,
  loadConfig,
  migrate,
  OutboxRelay,
  readMigrations,
} from "@printfab/platform";
import { createTestDatabase, TEST_REDIS_URL, TEST_SERVICE_ENV, type TestDatabase } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRM_SCHEMA, crmMigrationsDir } from "../src/crm-app.ts";
import { CustomerReads } from "../src/customer-reads.ts";
import { CustomerStore } from "../src/customer-store.ts";

/**
 * The CRM's outbox on real PostgreSQL and Redis: a profile change commits with its event, and the process
 * "dies" before the fast path runs (the store is called directly, as the writes layer would before it).
 */
let database: TestDatabase;
let db: Database;
let caches: CacheFactory;
let ttl: CacheTtls;

beforeAll(async () => {
  database = await createTestDatabase();
  db = new Database(createPostgresDriver(database.url, 2), "crm");
  await migrate(db, CRM_SCHEMA, await readMigrations(crmMigrationsDir));
  await db.query("INSERT INTO crm.customers (name, email) VALUES ('Ada', 'ada@example.com')");
  const config = loadConfig({
    ...TEST_SERVICE_ENV,
    REDIS_URL: TEST_REDIS_URL,
    CACHE_NAMESPACE: `t${randomBytes(5).toString("hex")}`,
  });
  caches = await createCacheFactory(config, createLogger("silent"));
  ttl = cacheTtls(config.ttl);
});
afterAll(async () => {
  await caches.close();
  await db.close();
  await database.drop();
});

describe("a crash between commit and invalidation", () => {
  it("leaves the cached profile stale until a relay pass delivers the event", async () => {
    const logger = createLogger("silent");
    const store = new CustomerStore(db);
    const customers = await CustomerReads.create(caches, ttl, store);
    const address = async () => (await customers.customer(1)).value?.address;
    expect(await address()).toBe("");
    expect((await customers.customer(1)).status).toBe("hit");

    await store.updateCustomer(1, { address: "9 New Street" });
    // Committed, not delivered: the profile still answers the old address (for its TTL, 300 s).
    expect(await address()).toBe("");
    // A relay starting afterwards (another CRM instance, or this one restarted) delivers it.
    const relay = new OutboxRelay<CustomerChanged>({
      db,
      service: "crm",
      deliver: (e) => customers.customerChanged(e),
      logger,
    });
    expect(await relay.runOnce()).toBe(1);
    expect(await address()).toBe("9 New Street");
    expect((await db.query<{ n: number }>("SELECT count(*) AS n FROM crm.outbox"))[0]?.n).toBe(0);
  });
});
