import { randomBytes } from "node:crypto";
import { CACHE_PREFIX, shopOrderKey } from "@printfab/contracts";
import {
  type CacheFactory,
  createCacheFactory,
  createLogger,
  createPostgresDriver,
  Database,
  loadConfig,
  migrate,
  readMigrations,
} from "@printfab/platform";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MES_SCHEMA, mesMigrationsDir } from "../src/mes-app.ts";
import { OrderStore } from "../src/order-store.ts";
import { OutboxRelay } from "../src/outbox-relay.ts";

/** The relay on real PostgreSQL and Redis: what a crash between commit and eviction leaves behind. */
let database: TestDatabase;
let db: Database;
let caches: CacheFactory;

beforeAll(async () => {
  database = await createTestDatabase();
  db = new Database(createPostgresDriver(database.url, 2), "mes");
  await migrate(db, MES_SCHEMA, await readMigrations(mesMigrationsDir));
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, CACHE_NAMESPACE: `t${randomBytes(5).toString("hex")}` });
  caches = await createCacheFactory(config, createLogger("silent"));
});
afterAll(async () => {
  await caches.close();
  await db.close();
  await database.drop();
});

describe("the outbox relay", () => {
  it("delivers an invalidation lost between commit and eviction, with no new write", async () => {
    const orders = new OrderStore(db);
    const order = await orders.createOrder(
      { customerId: 7, items: [{ productId: 1, productName: "Gear", quantity: 1, unitPriceCents: 100 }] },
      "customer:7",
    );
    // The Shop's cached copy of the order, as its reads module stores it.
    const shop = await caches.create("shop_orders_view", CACHE_PREFIX.shopOrders, { l1MaxBytes: 0 });
    const key = shopOrderKey(order.customerId, order.id);
    await shop.getOrLoad(key, async () => order.status, { ttl: 60_000 });
    // The change commits with its outbox row, and the process "dies" before evicting anything.
    await orders.changeStatus(order.id, "cancelled", "op-crash");
    expect(await shop.getOrLoad(key, async () => "reloaded", { ttl: 60_000 })).toBe("created");
    // A relay starting afterwards (another MES instance, or this one restarted) finds the row and evicts.
    const relay = await OutboxRelay.create(db, caches, createLogger("silent"));
    expect(await relay.runOnce()).toBe(1);
    expect(await shop.getOrLoad(key, async () => "reloaded", { ttl: 60_000 })).toBe("reloaded");
    const left = await db.query<{ n: number }>("SELECT count(*) AS n FROM mes.outbox");
    expect(left[0]?.n).toBe(0);
  });
});
