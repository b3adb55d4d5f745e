import { randomBytes } from "node:crypto";
import type { CustomerChanged } from "@printfab/contracts";
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
import { CRM_SCHEMA, crmMigrationsDir } from "../src/crm-app.ts";
import { CustomerReads } from "../src/customer-reads.ts";
import { CustomerStore } from "../src/customer-store.ts";
import { CustomerWrites } from "../src/customer-writes.ts";
import { customerRoutes } from "../src/routes/customers.ts";

/**
 * The profile routes alone, in process and in memory: PGlite and the in-process cache. The real services
 * over PostgreSQL and Redis are in crm-routes.test.ts.
 */
const auth = createAuth("crm-customer-routes-test-secret");
const logger = createLogger("silent");
let app: HttpApp;
let db: Database;
let caches: CacheFactory;

type Caller = Role | "self";
/** `self` is customer 1, whose profile the tests read and change; `customer` is customer 2. */
const token = (caller: Caller) =>
  caller === "self"
    ? auth.sign({ role: "customer", sub: "1" })
    : auth.sign({ role: caller, sub: caller === "customer" ? "2" : `${caller}-1` });
const call = (method: "GET" | "PATCH", url: string, init: { as?: Caller; body?: unknown } = {}) =>
  app.inject({
    method,
    url,
    headers: init.as ? { authorization: `Bearer ${token(init.as)}` } : {},
    ...(init.body === undefined ? {} : { payload: init.body as object }),
  });
const STAFF_NOT_MANAGERS: Role[] = ["operator", "service"];

beforeAll(async () => {
  db = new Database(await createPgliteDriver(undefined), "crm");
  await migrate(db, CRM_SCHEMA, await readMigrations(crmMigrationsDir));
  await db.query(
    "INSERT INTO crm.customers (name, email) VALUES ('Ada', 'ada@example.com'), ('Bob', 'bob@example.com')",
  );
  const config = loadConfig({ ...TEST_SERVICE_ENV, CACHE_NAMESPACE: `t${randomBytes(4).toString("hex")}` });
  caches = await createCacheFactory(config, logger);
  const store = new CustomerStore(db);
  app = await createHttpApp({ service: "crm", description: "customers under test", logger, auth });
  const customers = await CustomerReads.create(caches, cacheTtls(config.ttl), store);
  const outbox = new OutboxRelay<CustomerChanged>({
    db,
    service: "crm",
    deliver: (e) => customers.customerChanged(e),
    logger,
  });
  await app.register(customerRoutes, { auth, customers, writes: new CustomerWrites(store, outbox) });
});
afterAll(async () => {
  await app.close();
  await caches.close();
  await db.close();
});

describe("GET /customers/:id", () => {
  it("shows a manager any profile and a customer their own, privately, from the cache the second time", async () => {
    const first = await call("GET", "/customers/1", { as: "manager" });
    expect([first.statusCode, first.json().email]).toEqual([200, "ada@example.com"]);
    expect(first.headers["cache-status"]).toMatch(/^crm; fwd=miss; stored/);
    const own = await call("GET", "/customers/1", { as: "self" });
    expect(own.json()).toEqual(first.json());
    expect(own.headers["cache-status"]).toMatch(/^crm; hit/);
    expect(own.headers["cache-control"]).toBe("private, no-store");
  });

  it("answers another customer's profile as missing, and refuses bad ids and other roles", async () => {
    const other = await call("GET", "/customers/1", { as: "customer" });
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toMatch(/ada@/);
    expect((await call("GET", "/customers/999", { as: "manager" })).statusCode).toBe(404);
    expect((await call("GET", "/customers/one", { as: "manager" })).statusCode).toBe(400);
    expect((await call("GET", "/customers/1")).statusCode).toBe(401);
    for (const role of STAFF_NOT_MANAGERS)
      expect((await call("GET", "/customers/1", { as: role })).statusCode).toBe(403);
  });
});

describe("PATCH /customers/:id", () => {
  const patch = (body: unknown, as?: Caller, id = 1) => call("PATCH", `/customers/${id}`, { as, body });

  it("lets a customer change their own profile and a manager any, and the cached profile follows", async () => {
    await call("GET", "/customers/1", { as: "manager" });
    expect((await patch({ phone: "+1 555 0100" }, "self")).json().phone).toBe("+1 555 0100");
    expect((await call("GET", "/customers/1", { as: "manager" })).json().phone).toBe("+1 555 0100");
    expect((await patch({ email: "ada.l@example.com" }, "manager")).json().email).toBe("ada.l@example.com");
    // The fast path delivered each change's event: nothing is left for the relay.
    expect((await db.query<{ n: number }>("SELECT count(*) AS n FROM crm.outbox"))[0]?.n).toBe(0);
  });

  it("leaves a customer's email to a manager, and tells nobody whether an address is taken", async () => {
    const taken = await patch({ email: "bob@example.com" }, "self");
    const free = await patch({ email: "free@example.com" }, "self");
    expect([taken.statusCode, taken.json().error.code]).toEqual([403, "forbidden"]);
    expect(free.json()).toEqual(taken.json());
    expect((await patch({ email: "ada.l@example.com", name: "Ada L." }, "self")).statusCode).toBe(200);
    expect((await patch({ email: "BOB@example.com" }, "manager")).statusCode).toBe(409);
  });

  it("refuses bad input, another customer's profile, unknown ids and other roles, writing nothing", async () => {
    const before = (await call("GET", "/customers/1", { as: "manager" })).json();
    expect((await patch({}, "manager")).statusCode).toBe(400);
    expect((await patch({ phone: "call me" }, "manager")).statusCode).toBe(400);
    expect((await patch({ name: "Mallory" }, "customer")).statusCode).toBe(404);
    expect((await patch({ name: "Nobody" }, "manager", 999)).statusCode).toBe(404);
    expect((await patch({ name: "Anon" })).statusCode).toBe(401);
    for (const role of STAFF_NOT_MANAGERS) expect((await patch({ name: "Staff" }, role)).statusCode).toBe(403);
    expect((await call("GET", "/customers/1", { as: "manager" })).json()).toEqual(before);
  });
});
