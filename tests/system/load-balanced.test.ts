import { migrateServices, openInfrastructure, SERVICES, seed } from "@printfab/launcher";
import { createAuth, createLogger, loadConfig } from "@printfab/platform";
import {
  createTestDatabase,
  freePort,
  type Haproxy,
  metricSum,
  type RedisServer,
  requestQueries,
  ServiceProcess,
  startAll,
  startHaproxy,
  startRedisServer,
  startTestS3,
  type TestDatabase,
  type TestS3,
} from "@printfab/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep, until } from "../support/waiting.ts";

// Two of each service as processes over one database, Redis and S3, behind deploy/haproxy/haproxy.cfg.
const SECRET = "printfab-lb-test-secret-0123456789";
// The bus's bound: a process hears its own heartbeat within 1 s or stops serving L1 (docs/architecture.md).
const BUS_BOUND_MS = 1000;
// Health checks every 250 ms, out after two failures: a killed instance is out within a second or so.
const CHECK_INTER = "250ms";

const auth = createAuth(SECRET);
const bearer = (sub: string, role: "customer" | "manager" | "operator") => ({
  authorization: `Bearer ${auth.sign({ sub, role }, 600)}`,
});

let database: TestDatabase;
let redis: RedisServer;
let s3: TestS3;
let haproxy: Haproxy;
let db: pg.Client;
type Instance = `${"shop" | "crm" | "mes"}${1 | 2}`;
let procs: Record<Instance, ServiceProcess>;
const shops = () => [procs.shop1, procs.shop2];
const mesInstances = () => [procs.mes1, procs.mes2];

async function seedDatabase(env: Record<string, string>) {
  const infra = await openInfrastructure(loadConfig({ ...env, CACHE: "off" }), createLogger("warn"));
  try {
    await migrateServices(infra.db, SERVICES);
    await seed(infra.db, { products: 60, customers: 10, orders: 60 });
  } finally {
    await infra.close();
  }
}

beforeAll(async () => {
  [database, redis, s3] = await Promise.all([createTestDatabase(), startRedisServer(), startTestS3("printfab-lb")]);
  const env = {
    PATH: process.env.PATH ?? "",
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AUTH_SECRET: SECRET,
    CACHE_NAMESPACE: `lb${Date.now().toString(36)}`,
    LOG_LEVEL: "error",
    SEED: "off",
    MESH_THREADS: "1",
    OUTBOX_RELAY_INTERVAL_MS: "100",
    HTTP_MAX_EVENT_LOOP_DELAY_MS: "0",
  };
  await seedDatabase(env);
  const mesFront = await freePort();
  // The Shops and the CRMs reach MES through HAProxy, as deployed.
  const serviceEnv = { ...env, MES_URL: `http://127.0.0.1:${mesFront}` };
  const entries: Array<[Instance, ServiceProcess]> = [];
  for (const service of ["shop", "crm", "mes"] as const)
    for (const n of [1, 2] as const)
      entries.push([`${service}${n}`, ServiceProcess.of(service, await freePort(), serviceEnv)]);
  procs = Object.fromEntries(entries) as Record<Instance, ServiceProcess>;
  await startAll(Object.values(procs));
  const addresses = (service: "shop" | "crm" | "mes") => [procs[`${service}1`].address, procs[`${service}2`].address];
  haproxy = await startHaproxy({
    instances: { shop: addresses("shop"), crm: addresses("crm"), mes: addresses("mes") },
    ports: { mes: mesFront },
    env: { PRINTFAB_CHECK_INTER: CHECK_INTER },
  });
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
}, 90_000);

afterAll(async () => {
  await haproxy?.stop();
  await Promise.all(Object.values(procs ?? {}).map((p) => p.stop()));
  await db?.end();
  await Promise.all([redis?.stop(), s3?.stop()]);
  await database?.drop();
});

const via = (service: "shop" | "crm" | "mes") => haproxy.urls[service] as string;

const priceOn = async (url: string, id: number) =>
  ((await (await fetch(`${url}/products/${id}`)).json()) as { priceCents: number }).priceCents;

describe("two instances of each service behind HAProxy", () => {
  it("balances every service's requests over both of its instances", async () => {
    for (const service of ["shop", "crm", "mes"] as const) {
      const served = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${via(service)}/health`);
        expect(res.status).toBe(200);
        served.add(res.headers.get("x-served-by") ?? "");
      }
      expect([...served].sort()).toEqual([`${service}1`, `${service}2`]);
    }
  });

  it("a cold product read concurrently through HAProxy costs one database query across both Shops", async () => {
    const before = await requestQueries(shops(), "shop");
    const answers = await Promise.all(Array.from({ length: 24 }, () => fetch(`${via("shop")}/products/41`)));
    const after = await requestQueries(shops(), "shop");
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    // Both processes took part, so one query means the lease held across them, not one process's single-flight.
    expect(new Set(answers.map((r) => r.headers.get("x-served-by")))).toEqual(new Set(["shop1", "shop2"]));
    expect(after - before).toBe(1);
  });

  it("a change made through one Shop is seen on the other within the bus's bound", async () => {
    const { shop1: a, shop2: b } = procs;
    const old = await priceOn(b.url, 7);
    // Shop B holds product 7 in its L1: only the bus can make it forget.
    expect((await fetch(`${b.url}/products/7`)).headers.get("cache-status")).toMatch(/; hit/);
    const res = await fetch(`${a.url}/products/7`, {
      method: "PATCH",
      headers: { ...bearer("manager-1", "manager"), "content-type": "application/json" },
      body: JSON.stringify({ priceCents: old + 1 }),
    });
    expect(res.status).toBe(200);
    await until(async () => (await priceOn(b.url, 7)) === old + 1, BUS_BOUND_MS, "Shop B sees the new price");
  });
});

describe("outbox relays in every instance", () => {
  /** Rows as a crash between the commit and the fast path leaves them: the change is there, not delivered. */
  const leaveEvents = (schema: string, events: object[], dueInMs = 0) =>
    db.query(
      `INSERT INTO ${schema}.outbox (payload, next_attempt_at)
       SELECT e, now() + ($2 || ' milliseconds')::interval FROM unnest($1::jsonb[]) AS e RETURNING id`,
      [events.map((e) => JSON.stringify(e)), String(dueInMs)],
    );
  const pending = async (schema: string) =>
    Number((await db.query(`SELECT count(*) AS n FROM ${schema}.outbox`)).rows[0].n);

  it("two MES relays deliver every event once, none blocked by a row another holds", async () => {
    type Order = { id: string; customer_id: string; status: string };
    const orders = (await db.query<Order>("SELECT id, customer_id, status FROM mes.orders ORDER BY id LIMIT 40")).rows;
    const [fixed, untouched] = orders as [Order, Order];
    const statusVia = async (o: Order) => {
      const res = await fetch(`${via("shop")}/orders/${o.id}`, { headers: bearer(o.customer_id, "customer") });
      return ((await res.json()) as { status: string }).status;
    };
    for (const o of [fixed, untouched]) expect(await statusVia(o)).toBe(o.status); // now cached in Redis
    await db.query(`UPDATE mes.orders SET status = ${FLIP} WHERE id = ANY($1)`, [[fixed.id, untouched.id]]);
    const delivered = () => metricSum(mesInstances(), "outbox_relay_lag_seconds_count", 'service="mes"');
    const deliveredBefore = await delivered();
    // A relay frozen in its pass holds five rows, which come due while this transaction holds them.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      const held = (await leaveEvents("mes", orders.slice(35).map(orderEvent), 1000)).rows.map((r) => r.id);
      await holder.query("SELECT id FROM mes.outbox WHERE id = ANY($1) FOR UPDATE", [held]);
      await leaveEvents(
        "mes",
        orders
          .slice(0, 30)
          .filter((o) => o !== untouched)
          .map(orderEvent),
      );
      await sleep(1200);
      // Rows behind the held ones, due after them: a relay waiting on a held row would never reach these.
      await leaveEvents("mes", orders.slice(30, 35).map(orderEvent));
      await until(async () => (await pending("mes")) === 5, 5000, "every row but the held ones delivered");
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
    await until(async () => (await pending("mes")) === 0, 5000, "the held rows delivered once released");
    expect(await statusVia(fixed)).toBe(fixed.status === "cancelled" ? "created" : "cancelled");
    // Its control: a change without an event stays unseen, so the freshness above is the relays' doing.
    expect(await statusVia(untouched)).toBe(untouched.status);
    // Each row delivered and deleted by exactly one relay.
    expect((await delivered()) - deliveredBefore).toBe(39);
  });

  it("two Shop relays deliver a product change to both Shops' L1", async () => {
    for (const s of shops()) for (const id of [11, 12]) await priceOn(s.url, id);
    const before = await Promise.all(shops().map((s) => priceOn(s.url, 11)));
    await db.query("UPDATE shop.products SET price_cents = price_cents + 100 WHERE id IN (11, 12)");
    await leaveEvents("shop", [{ type: "product.changed", id: 11 }]);
    for (const [i, s] of shops().entries())
      await until(async () => (await priceOn(s.url, 11)) === (before[i] as number) + 100, 5000, `${s.name} fresh`);
    await until(async () => (await pending("shop")) === 0, 5000, "the shop outbox empty");
    const stale = await Promise.all(shops().map((s) => priceOn(s.url, 12)));
    expect(stale[0]).toBe(stale[1]);
    expect(Number((await db.query("SELECT price_cents FROM shop.products WHERE id = 12")).rows[0].price_cents)).toBe(
      (stale[0] as number) + 100,
    );
  });
});

const FLIP = "CASE WHEN status = 'cancelled' THEN 'created' ELSE 'cancelled' END";
const orderEvent = (o: { id: string; customer_id: string }) => ({
  type: "order.changed",
  orderId: Number(o.id),
  customerId: Number(o.customer_id),
});

describe("an instance killed", () => {
  it("SIGKILLed, it is taken out by the health check and reads through HAProxy keep succeeding", async () => {
    await procs.shop2.stop("SIGKILL");
    const statuses: number[] = [];
    const read = async () => {
      const res = await fetch(`${via("shop")}/products/${1 + (statuses.length % 50)}`);
      statuses.push(res.status);
      return res;
    };
    await until(
      async () => {
        await read();
        return (await haproxy.states()).get("shop2")?.startsWith("DOWN") ?? false;
      },
      5000,
      "shop2 marked down",
    );
    for (let i = 0; i < 10; i++) expect((await read()).headers.get("x-served-by")).toBe("shop1");
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
