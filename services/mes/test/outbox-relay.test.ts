import { randomBytes } from "node:crypto";
import { CACHE_PREFIX, type Order, type OrderChanged, orderKey } from "@printfab/contracts";
import {
  type CacheFactory,
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
import { MES_SCHEMA, mesMigrationsDir } from "../src/mes-app.ts";
import { OrderReads } from "../src/order-reads.ts";
import { OrderStore } from "../src/order-store.ts";

/** The relay on real PostgreSQL and Redis: what a crash between commit and eviction leaves behind. */
let database: TestDatabase;
let db: Database;
let caches: CacheFactory;
let relay: OutboxRelay<OrderChanged>;
const logger = createLogger("silent");
const line = { productId: 1, productName: "Gear", quantity: 1, unitPriceCents: 100 };
const pending = async () => Number((await db.query<{ n: number }>("SELECT count(*) AS n FROM mes.outbox"))[0]?.n);

beforeAll(async () => {
  database = await createTestDatabase();
  db = new Database(createPostgresDriver(database.url, 2), "mes");
  const migrations = await readMigrations(mesMigrationsDir);
  // Up to the outbox as it was before its rows were named events, for the upgrade test below.
  await migrate(db, MES_SCHEMA, migrations.slice(0, 2));
  await db.query("INSERT INTO mes.outbox (payload) VALUES ($1)", [JSON.stringify({ orderId: 424242, customerId: 7 })]);
  await migrate(db, MES_SCHEMA, migrations);
  const config = loadConfig({
    ...TEST_SERVICE_ENV,
    REDIS_URL: TEST_REDIS_URL,
    CACHE_NAMESPACE: `t${randomBytes(5).toString("hex")}`,
  });
  caches = await createCacheFactory(config, logger);
  const reads = await OrderReads.create(caches, cacheTtls(config.ttl), new OrderStore(db));
  relay = new OutboxRelay<OrderChanged>({ db, service: "mes", deliver: (e) => reads.orderChanged(e), logger });
});
afterAll(async () => {
  await caches.close();
  await db.close();
  await database.drop();
});

describe("the outbox relay", () => {
  it("delivers a row written before the upgrade, once the migration named it", async () => {
    expect(await relay.runOnce()).toBe(1);
    expect(await pending()).toBe(0);
  });

  it("delivers an invalidation lost between commit and eviction, with no new write", async () => {
    const orders = new OrderStore(db);
    const { value: order } = await orders.createOrder({ customerId: 7, items: [line] }, "customer:7");
    // The Shop's copy of the order and a CRM list page, as their reads store them in MES's key space.
    const shop = await caches.create("shop_orders_view", CACHE_PREFIX.mesOrders, { l1MaxBytes: 0 });
    const read = (k: string, tags: string[] = []) => shop.getOrLoad(k, async () => "reloaded", { ttl: 60_000, tags });
    await relay.runOnce();
    await shop.getOrLoad(orderKey(order.id), async () => order.status, { ttl: 60_000 });
    await shop.getOrLoad("list:7:::", async () => "page with it created", { ttl: 60_000, tags: ["orders"] });
    // The change commits with its outbox row, and the process "dies" before evicting anything.
    await orders.changeStatus(order.id, "cancelled", "op-crash");
    expect(await read(orderKey(order.id))).toBe("created");
    expect(await read("list:7:::", ["orders"])).toBe("page with it created");
    // A relay starting afterwards (another MES instance, or this one restarted) finds the row and evicts.
    expect(await relay.runOnce()).toBe(1);
    expect(await read(orderKey(order.id))).toBe("reloaded");
    expect(await read("list:7:::", ["orders"])).toBe("reloaded");
    expect(await pending()).toBe(0);
  });

  it("keeps a row whose delivery failed, and delivers it on a later pass", async () => {
    let failing = true;
    const flaky = new OutboxRelay<OrderChanged>({
      db,
      service: "mes",
      deliver: async () => {
        if (failing) throw new Error("redis unreachable");
      },
      logger,
    });
    const orders = new OrderStore(db);
    const placed = await orders.createOrder({ customerId: 8, items: [line] }, "customer:8");
    expect(await flaky.deliverNow(placed)).toEqual<Order>(placed.value);
    expect(await pending()).toBe(1);
    expect(await flaky.runOnce()).toBe(0);
    const [row] = await db.query<{ attempts: number }>("SELECT attempts FROM mes.outbox");
    expect(row?.attempts).toBe(1);
    failing = false;
    // The retry is due after its backoff (100 ms for a first failure).
    await new Promise((r) => setTimeout(r, 150));
    expect(await flaky.runOnce()).toBe(1);
    expect(await pending()).toBe(0);
  });
});
