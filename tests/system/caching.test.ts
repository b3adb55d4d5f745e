import { seed, seedModels } from "@printfab/launcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

let sys: TestSystem;
const dbQueries = (service: string) => sys.metrics.value("db_queries_total", { service });
const s3Gets = () => sys.metrics.value("object_store_requests_total", { op: "get" });

/** Asserts that the first call is a stored miss, the second a hit that sent nothing to PostgreSQL or S3. */
async function missThenHit<R extends { status: number; headers: Headers }>(
  service: string,
  call: () => Promise<R>,
): Promise<R> {
  const first = await call();
  expect(first.status).toBe(200);
  expect(first.headers.get("cache-status")).toMatch(new RegExp(`^${service}; fwd=miss; stored`));
  const [db, s3] = [await dbQueries(service), await s3Gets()];
  const second = await call();
  expect(second.status).toBe(200);
  expect(second.headers.get("cache-status")).toMatch(new RegExp(`^${service}; hit; ttl=\\d+`));
  expect(await dbQueries(service)).toBe(db);
  expect(await s3Gets()).toBe(s3);
  return second;
}

beforeAll(async () => {
  sys = await startTestSystem({ cache: "redis" });
  await seed(sys.db, { products: 60, customers: 3, orders: 24 });
  await seedModels(sys.db, sys.objectStore, sys.meshPool);
});
afterAll(() => sys.stop());

describe("each cached read: miss, hit with no backend work, new data after the change", () => {
  it("Shop product list pages and details, invalidated when a product changes", async () => {
    const list = () => sys.call(`${sys.urls.shop}/products?category=gears&limit=5`);
    const detail = () => sys.call(`${sys.urls.shop}/products/9`);
    // The detail first: a list page's load fills the product pages of its rows.
    const cached = await missThenHit("shop", detail);
    await missThenHit("shop", list);
    expect(cached.body.model.measurements.watertight).toBe(true);
    const res = await sys.call(`${sys.urls.shop}/products/9`, {
      method: "PATCH",
      token: sys.token("manager"),
      body: { priceCents: 777, category: "gears" },
    });
    expect(res.status).toBe(200);
    expect((await detail()).body.priceCents).toBe(777);
    const page = (await sys.call(`${sys.urls.shop}/products?category=gears&limit=100`)).body;
    expect(page.items.find((p: { id: number }) => p.id === 9)?.priceCents).toBe(777);
  });

  it("Shop catalogue answers If-None-Match with 304 and a public Cache-Control", async () => {
    const first = await sys.call(`${sys.urls.shop}/products/11`);
    expect(first.headers.get("cache-control")).toMatch(/^public, max-age=\d+/);
    const etag = first.headers.get("etag") as string;
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${sys.urls.shop}/products/11`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    await sys.call(`${sys.urls.shop}/products/11`, {
      method: "PATCH",
      token: sys.token("manager"),
      body: { name: "Renamed" },
    });
    const changed = await fetch(`${sys.urls.shop}/products/11`, { headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });

  it("Shop previews: binary, from the cache, no S3 GET on a hit", async () => {
    const get = async () => {
      const res = await fetch(`${sys.urls.shop}/products/12/preview.png?size=96`);
      return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
    };
    await get();
    const s3 = await s3Gets();
    const hit = await get();
    expect(hit.headers.get("cache-status")).toMatch(/^shop; hit/);
    expect(hit.bytes.subarray(1, 4).toString()).toBe("PNG");
    expect(await s3Gets()).toBe(s3);
  });

  it("CRM customer profiles, invalidated on update, private", async () => {
    const read = () => sys.call(`${sys.urls.crm}/customers/2`, { token: sys.token("manager") });
    const hit = await missThenHit("crm", read);
    expect(hit.headers.get("cache-control")).toBe("private, no-store");
    await sys.call(`${sys.urls.crm}/customers/2`, {
      method: "PATCH",
      token: sys.token("customer", "2"),
      body: { address: "9 New Street" },
    });
    expect((await read()).body.address).toBe("9 New Street");
  });

  it("MES analyses and quotes by content hash: the same file is computed once, a new option is a new key", async () => {
    const model = await sys.objectStore.get((await sys.call(`${sys.urls.shop}/products/13`)).body.modelKey as string);
    const analyse = () =>
      sys.call(`${sys.urls.mes}/analyses`, {
        method: "POST",
        rawBody: model as Buffer,
        headers: { "content-type": "application/octet-stream" },
        token: sys.token("operator"),
      });
    const first = await analyse();
    expect(first.headers.get("cache-status")).toMatch(/^mes; fwd=miss; stored/);
    expect((await analyse()).headers.get("cache-status")).toMatch(/^mes; hit/);
    const quote = (q: string) =>
      sys.call(`${sys.urls.shop}/quotes?${q}`, {
        method: "POST",
        rawBody: model as Buffer,
        headers: { "content-type": "application/octet-stream" },
      });
    const a = await quote("material=PLA&quantity=2");
    const computed = await sys.call(`${sys.urls.mes}/quotes?material=PLA&quantity=2`, {
      method: "POST",
      rawBody: model as Buffer,
      headers: { "content-type": "application/octet-stream" },
      token: sys.token("service", "shop"),
    });
    expect(computed.headers.get("cache-status")).toMatch(/^mes; hit/);
    const b = await quote("material=PLA&quantity=2");
    expect(b.body).toEqual(a.body);
    const c = await quote("material=PLA&quantity=3");
    expect(c.body.quote.totalCents).not.toBe(a.body.quote.totalCents);
  });
});

describe("order status, everywhere it is shown", () => {
  it("a status change through MES is visible at once in the Shop, the CRM and MES", async () => {
    const order = (await sys.call(`${sys.urls.mes}/orders?status=created&limit=1`, { token: sys.token("operator") }))
      .body.items[0];
    const customer = sys.token("customer", String(order.customerId));
    const views = () =>
      Promise.all([
        sys.call(`${sys.urls.shop}/orders/${order.id}`, { token: customer }),
        sys.call(`${sys.urls.crm}/orders/${order.id}`, { token: sys.token("manager") }),
        sys.call(`${sys.urls.mes}/orders/${order.id}`, { token: sys.token("operator") }),
      ]);
    await views();
    const cached = await views();
    for (const v of cached) {
      expect(v.body.status).toBe("created");
      expect(v.headers.get("cache-status")).toMatch(/; hit/);
      expect(v.headers.get("cache-control")).toBe("private, no-store");
    }
    const res = await sys.call(`${sys.urls.mes}/orders/${order.id}/status`, {
      method: "POST",
      token: sys.token("operator"),
      body: { status: "approved" },
    });
    expect(res.status).toBe(200);
    for (const v of await views()) expect(v.body.status).toBe("approved");
  });

  it("never answers one customer from another's cached order", async () => {
    const orders = (await sys.call(`${sys.urls.mes}/orders?limit=100`, { token: sys.token("operator") })).body
      .items as Array<{ id: number; customerId: number; status: string }>;
    const a = orders.find((o) => o.customerId === 1) as { id: number };
    const tokenA = sys.token("customer", "1");
    const tokenB = sys.token("customer", "2");
    for (let i = 0; i < 3; i++) {
      expect((await sys.call(`${sys.urls.shop}/orders/${a.id}`, { token: tokenA })).status).toBe(200);
      const b = await sys.call(`${sys.urls.shop}/orders/${a.id}`, { token: tokenB });
      expect(b.status).toBe(404);
      expect(JSON.stringify(b.body)).not.toMatch(/totalCents/);
    }
    expect((await sys.call(`${sys.urls.crm}/customers/1`, { token: tokenB })).status).toBe(404);
  });

  it("shares one entry per order between services and customers, and checks whose it is on every read", async () => {
    const orders = (await sys.call(`${sys.urls.mes}/orders?customerId=1&limit=100`, { token: sys.token("operator") }))
      .body.items as Array<{ id: number; status: string }>;
    // Moved by operators (history "by" holds their logins), and read by nobody yet.
    const order = orders.filter((o) => o.status !== "created").at(-1) as { id: number };
    const shop = (customer: string) =>
      sys.call(`${sys.urls.shop}/orders/${order.id}`, { token: sys.token("customer", customer) });
    // Another customer's request is the one that loads the shared entry: it is still answered as missing.
    const other = await shop("2");
    expect([other.status, JSON.stringify(other.body)]).toEqual([404, expect.not.stringMatching(/totalCents/)]);
    const own = await shop("1");
    expect([own.status, own.headers.get("cache-status")]).toEqual([200, expect.stringMatching(/^shop; hit/)]);
    // The entry is the order as MES answers it; the customer's view hides the operators' logins.
    expect(new Set(own.body.history.map((h: { by: string }) => h.by))).toEqual(new Set(["customer", "printfab"]));
    const staff = await sys.call(`${sys.urls.crm}/orders/${order.id}`, { token: sys.token("manager") });
    expect(staff.headers.get("cache-status")).toMatch(/^crm; hit/);
    expect(JSON.stringify(staff.body.history)).toMatch(/operator:seed/);
    expect((await shop("2")).status).toBe(404);
  });
});

describe("stampede on a cold page", () => {
  it("500 concurrent requests on a cold product-list page cost one DB query", async () => {
    const before = await dbQueries("shop");
    const results = await Promise.all(
      Array.from({ length: 500 }, () => sys.call(`${sys.urls.shop}/products?category=drones&limit=7&offset=1`)),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect((await dbQueries("shop")) - before).toBe(1);
  }, 30_000);
});
