import { seed } from "@printfab/launcher";
import type { FaultProxy } from "@printfab/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FaultParts, openFaultParts } from "../support/fault-parts.ts";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";
import { sleep, timed, until } from "../support/waiting.ts";

// Small, so a hung PostgreSQL is answered quickly; the bound is the issue's: the deadline plus 2 s.
const DEADLINE_MS = 1000;
const BOUND_MS = DEADLINE_MS + 2000;

type Answer = Awaited<ReturnType<TestSystem["call"]>>;

let parts: FaultParts;
let proxy: FaultProxy;
let sys: TestSystem;
const shop = (path: string) => `${sys.urls.shop}${path}`;
const patch = (id: number, body: object) =>
  sys.call(shop(`/products/${id}`), { method: "PATCH", token: sys.token("manager"), body });

/** The price PostgreSQL holds, read around the proxy. */
async function priceInDatabase(id: number): Promise<number> {
  const c = new pg.Client({ connectionString: parts.directDatabaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query("SELECT price_cents FROM shop.products WHERE id = $1", [id]);
    return Number(rows[0]?.price_cents);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  parts = await openFaultParts({ postgresProxy: true, env: { DATABASE_TIMEOUT_MS: String(DEADLINE_MS) } });
  proxy = parts.postgres as FaultProxy;
  sys = await startTestSystem({ env: parts.env });
  await seed(sys.db, { products: 20, customers: 2, orders: 40 });
});
afterAll(async () => {
  proxy?.pass();
  await sys?.stop();
  await parts?.close();
});

/** Asserts the answer of a request that needed the hung database: 503 with Retry-After, within the bound. */
function expectUnavailable(r: { value: Answer; ms: number }, what: string) {
  expect(r.value.status, what).toBe(503);
  expect(r.value.body.error.code, what).toBe("dependency_unavailable");
  expect(Number(r.value.headers.get("retry-after")), what).toBeGreaterThan(0);
  expect(r.ms, what).toBeLessThan(BOUND_MS);
}

describe("PostgreSQL hung (every byte held by the proxy)", () => {
  it("uncached reads and writes answer 503 within the deadline, cached reads still answer, /health says down", async () => {
    for (let i = 0; i < 2; i++) expect((await sys.call(shop("/products/1"))).status).toBe(200);
    expect((await sys.call(shop("/products/3"))).body.priceCents).toBeGreaterThan(0);
    proxy.pause();
    try {
      const [detail, list, write] = await Promise.all([
        timed(() => sys.call(shop("/products/2"))),
        timed(() => sys.call(shop("/products?limit=5&offset=7"))),
        timed(() => patch(4, { priceCents: 4444 })),
      ]);
      console.info(`postgres hung: read ${detail.ms | 0} ms, list ${list.ms | 0} ms, write ${write.ms | 0} ms`);
      expectUnavailable(detail, "uncached product page");
      expectUnavailable(list, "uncached list page");
      expectUnavailable(write, "product write");

      const cached = await timed(() => sys.call(shop("/products/1")));
      expect(cached.value.status).toBe(200);
      expect(cached.value.headers.get("cache-status")).toMatch(/^shop; hit/);
      expect(cached.ms).toBeLessThan(DEADLINE_MS);

      const health = await sys.call(`${sys.urls.shop}/health`);
      expect(health.status).toBe(503);
      expect(health.body.dependencies.postgres.status).toBe("down");
    } finally {
      proxy.pass();
    }
    await until(async () => (await sys.call(shop("/products/2"))).status === 200, 10_000, "reads after healing");
    expect((await patch(2, { priceCents: 2222 })).status).toBe(200);
    expect((await sys.call(shop("/products/2"))).body.priceCents).toBe(2222);
    expect((await sys.call(`${sys.urls.shop}/health`)).status).toBe(200);
  });

  it("a write answered 503 while hung is never served stale after healing, whether or not it landed late", async () => {
    const before = (await sys.call(shop("/products/5"))).body.priceCents as number;
    expect((await sys.call(shop("/products/5"))).headers.get("cache-status")).toMatch(/^shop; hit/);
    proxy.pause();
    let answer: Answer;
    try {
      answer = await patch(5, { priceCents: before + 1 });
    } finally {
      proxy.pass();
    }
    expect(answer.status).toBe(503);
    // The held bytes reach PostgreSQL once the proxy passes: the UPDATE may run after its 503.
    await sleep(1000);
    const truth = await priceInDatabase(5);
    console.info(`write answered 503: the database holds ${truth === before ? "the old price" : "the new price"}`);
    expect((await sys.call(shop("/products/5"))).body.priceCents).toBe(truth);
    const page = (await sys.call(shop("/products?limit=20"))).body.items.find((p: { id: number }) => p.id === 5);
    expect(page.priceCents).toBe(truth);
  });

  it("a transactional write (an order's status in MES) answers 503 within the deadline too", async () => {
    const operator = sys.token("operator");
    const orders = (await sys.call(`${sys.urls.mes}/orders?status=created&limit=1`, { token: operator })).body.items;
    expect(orders.length).toBe(1);
    proxy.pause();
    let answer: { value: Answer; ms: number };
    try {
      answer = await timed(() =>
        sys.call(`${sys.urls.mes}/orders/${orders[0].id}/status`, {
          method: "POST",
          token: operator,
          body: { status: "approved" },
        }),
      );
    } finally {
      proxy.pass();
    }
    console.info(`postgres hung: a status change answered ${answer.value.status} in ${answer.ms | 0} ms`);
    expectUnavailable(answer, "order status change");
  });
});
