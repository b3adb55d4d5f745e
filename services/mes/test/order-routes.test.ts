import { randomBytes } from "node:crypto";
import type { OrderChanged } from "@printfab/contracts";
import {
  type CacheFactory,
  cacheTtls,
  createAuth,
  createCacheFactory,
  createHttpApp,
  createLogger,
  createPgliteDriver,
  Database,
  type HttpApp,
  loadConfig,
  migrate,
  OutboxRelay,
  type Role,
  readMigrations,
} from "@printfab/platform";
import { TEST_SERVICE_ENV } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MES_SCHEMA, mesMigrationsDir } from "../src/mes-app.ts";
import { OrderReads } from "../src/order-reads.ts";
import { OrderStore } from "../src/order-store.ts";
import { OrderWrites } from "../src/order-writes.ts";
import { orderRoutes } from "../src/routes/orders.ts";

/**
 * The order routes alone, in process and in memory: PGlite and the in-process cache. The real services
 * over PostgreSQL and Redis are in mes-routes.test.ts.
 */
const auth = createAuth("mes-order-routes-test-secret");
const logger = createLogger("silent");
let app: HttpApp;
let db: Database;
let caches: CacheFactory;

const token = (role: Role) => auth.sign({ role, sub: role === "customer" ? "1" : `${role}-1` });
const call = (method: "GET" | "POST", url: string, init: { role?: Role; body?: unknown } = {}) =>
  app.inject({
    method,
    url,
    headers: init.role ? { authorization: `Bearer ${token(init.role)}` } : {},
    ...(init.body === undefined ? {} : { payload: init.body as object }),
  });
const STAFF: Role[] = ["operator", "manager", "service"];
const newOrder = { customerId: 1, items: [{ productId: 3, productName: "Gear", quantity: 2, unitPriceCents: 250 }] };
const place = async () => (await call("POST", "/orders", { role: "service", body: newOrder })).json().id as number;

beforeAll(async () => {
  db = new Database(await createPgliteDriver(undefined), "mes");
  await migrate(db, MES_SCHEMA, await readMigrations(mesMigrationsDir));
  const config = loadConfig({ ...TEST_SERVICE_ENV, CACHE_NAMESPACE: `t${randomBytes(4).toString("hex")}` });
  caches = await createCacheFactory(config, logger);
  const store = new OrderStore(db);
  const reads = await OrderReads.create(caches, cacheTtls(config.ttl), store);
  const outbox = new OutboxRelay<OrderChanged>({ db, service: "mes", deliver: (e) => reads.orderChanged(e), logger });
  app = await createHttpApp({ service: "mes", description: "orders under test", logger, auth });
  await app.register(orderRoutes, { auth, reads, writes: new OrderWrites(store, outbox) });
});
afterAll(async () => {
  await app.close();
  await caches.close();
  await db.close();
});

describe("POST /orders (internal)", () => {
  it("places an order for a service caller only, and refuses a bad one", async () => {
    const res = await call("POST", "/orders", { role: "service", body: newOrder });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ customerId: 1, totalCents: 500, status: "created" });
    expect(res.json().history).toEqual([expect.objectContaining({ from: null, to: "created", by: "customer:1" })]);
    const bad = { ...newOrder, items: [{ ...newOrder.items[0], quantity: 0 }] };
    expect((await call("POST", "/orders", { role: "service", body: bad })).statusCode).toBe(400);
    expect((await call("POST", "/orders", { body: newOrder })).statusCode).toBe(401);
    for (const role of ["customer", "operator", "manager"] as const) {
      expect((await call("POST", "/orders", { role, body: newOrder })).statusCode, role).toBe(403);
    }
  });
});

describe("an order placed", () => {
  it("shows at once, even when its id was asked for (and remembered as missing) before it existed", async () => {
    const next = (await place()) + 1;
    expect((await call("GET", `/orders/${next}`, { role: "operator" })).statusCode).toBe(404);
    expect(await place()).toBe(next);
    expect((await call("GET", `/orders/${next}`, { role: "operator" })).statusCode).toBe(200);
    expect((await db.query<{ n: number }>("SELECT count(*) AS n FROM mes.outbox"))[0]?.n).toBe(0);
  });
});

describe("GET /orders", () => {
  it("lists the queue for staff, filtered, and refuses bad filters and customers", async () => {
    await place();
    for (const role of STAFF) {
      const res = await call("GET", "/orders?status=created&customerId=1&limit=1", { role });
      expect([res.statusCode, res.json().limit, res.json().items.length]).toEqual([200, 1, 1]);
    }
    expect((await call("GET", "/orders?status=flying", { role: "operator" })).statusCode).toBe(400);
    expect((await call("GET", "/orders?color=red", { role: "operator" })).statusCode).toBe(400);
    expect((await call("GET", "/orders")).statusCode).toBe(401);
    expect((await call("GET", "/orders", { role: "customer" })).statusCode).toBe(403);
  });
});

describe("GET /orders/:id", () => {
  it("shows an order to staff, privately, from the cache the second time", async () => {
    const id = await place();
    const first = await call("GET", `/orders/${id}`, { role: "operator" });
    expect([first.statusCode, first.json().id]).toEqual([200, id]);
    expect(first.headers["cache-status"]).toMatch(/^mes; fwd=miss; stored/);
    for (const role of STAFF) {
      const res = await call("GET", `/orders/${id}`, { role });
      expect(res.json()).toEqual(first.json());
      // A neighbour asks on a miss of the entry it shares, holding its lease: answered from PostgreSQL.
      expect([res.headers["cache-status"], res.headers["cache-control"]]).toEqual([
        expect.stringMatching(role === "service" ? /^mes; fwd=bypass$/ : /^mes; hit/),
        "private, no-store",
      ]);
    }
  });

  it("refuses unknown and malformed ids, anonymous callers and customers", async () => {
    expect((await call("GET", "/orders/999999", { role: "operator" })).statusCode).toBe(404);
    expect((await call("GET", "/orders/0", { role: "operator" })).statusCode).toBe(400);
    expect((await call("GET", "/orders/1")).statusCode).toBe(401);
    expect((await call("GET", "/orders/1", { role: "customer" })).statusCode).toBe(403);
  });
});

describe("POST /orders/:id/status", () => {
  const setStatus = (id: number, status: unknown, role?: Role) =>
    call("POST", `/orders/${id}/status`, { role, body: { status } });

  it("moves an order for an operator, and its cached copy goes at once", async () => {
    const id = await place();
    await call("GET", `/orders/${id}`, { role: "operator" });
    const res = await setStatus(id, "approved", "operator");
    expect([res.statusCode, res.json().status]).toEqual([200, "approved"]);
    expect((await call("GET", `/orders/${id}`, { role: "manager" })).json().status).toBe("approved");
    expect((await db.query<{ n: number }>("SELECT count(*) AS n FROM mes.outbox"))[0]?.n).toBe(0);
  });

  it("refuses an illegal transition, bad input, unknown orders and everyone but an operator", async () => {
    const id = await place();
    expect((await setStatus(id, "shipped", "operator")).statusCode).toBe(409);
    expect((await setStatus(id, "flying", "operator")).statusCode).toBe(400);
    expect((await setStatus(999999, "approved", "operator")).statusCode).toBe(404);
    expect((await setStatus(id, "approved")).statusCode).toBe(401);
    for (const role of ["customer", "manager", "service"] as const) {
      expect((await setStatus(id, "approved", role)).statusCode, role).toBe(403);
    }
    expect((await call("GET", `/orders/${id}`, { role: "operator" })).json().status).toBe("created");
  });
});
