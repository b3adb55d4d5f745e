import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { seed } from "@printfab/launcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

let sys: TestSystem;
let manager: string;
const url = (path: string) => `${sys.urls.shop}${path}`;
const productCount = async () => (await sys.db.query<{ n: number }>("SELECT count(*) AS n FROM shop.products"))[0]?.n;
const orderCount = async () => (await sys.db.query<{ n: number }>("SELECT count(*) AS n FROM mes.orders"))[0]?.n;

const newProduct = {
  name: "Planetary gear set",
  description: "3:1 reduction",
  category: "gears",
  material: "PETG",
  priceCents: 1999,
};

beforeAll(async () => {
  sys = await startTestSystem();
  await seed(sys.db, { products: 50, customers: 3, orders: 0 });
  manager = sys.token("manager");
});
afterAll(() => sys.stop());

describe("Shop GET /products", () => {
  it("pages through the catalogue", async () => {
    const res = await sys.call(url("/products?limit=10&offset=5"));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 50, limit: 10, offset: 5 });
    expect(res.body.items.map((p: { id: number }) => p.id)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const past = await sys.call(url("/products?offset=1000"));
    expect(past.body).toMatchObject({ items: [], total: 50 });
  });

  it("filters by category and by words of the name or description", async () => {
    await sys.call(url("/products"), { method: "POST", token: manager, body: { ...newProduct, name: "Zyzzyva knob" } });
    const byCategory = await sys.call(url("/products?category=gears&limit=100"));
    expect(byCategory.body.items.length).toBeGreaterThan(0);
    expect(byCategory.body.items.every((p: { category: string }) => p.category === "gears")).toBe(true);
    const found = await sys.call(url(`/products?q=${encodeURIComponent("zyzz KNOB")}`));
    expect(found.body.items.map((p: { name: string }) => p.name)).toEqual(["Zyzzyva knob"]);
    const punctuation = await sys.call(url(`/products?q=${encodeURIComponent("!!! ::")}`));
    expect(punctuation.body).toMatchObject({ items: [], total: 0 });
  });

  it("rejects bad query strings with 400", async () => {
    for (const q of ["limit=0", "limit=101", "offset=-1", "category=Not%20A%20Slug", "q=", "sort=price"]) {
      const res = await sys.call(url(`/products?${q}`));
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe("bad_request");
    }
  });
});

describe("Shop GET /products/:id", () => {
  it("returns a product, 404 for an unknown id and 400 for a malformed one", async () => {
    const res = await sys.call(url("/products/3"));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 3, modelKey: null });
    expect(typeof res.body.priceCents).toBe("number");
    expect((await sys.call(url("/products/99999"))).status).toBe(404);
    expect((await sys.call(url("/products/x1"))).status).toBe(400);
  });
});

describe("Shop POST /products", () => {
  it("creates a product as a manager", async () => {
    const res = await sys.call(url("/products"), { method: "POST", token: manager, body: newProduct });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ...newProduct, modelKey: null });
    expect((await sys.call(url(`/products/${res.body.id}`))).body.name).toBe(newProduct.name);
  });

  it("shows a new product at once even when its id was asked for before it existed", async () => {
    const nextId = Number((await sys.db.query<{ n: number }>("SELECT max(id) AS n FROM shop.products"))[0]?.n) + 1;
    expect((await sys.call(url(`/products/${nextId}`))).status).toBe(404);
    const created = await sys.call(url("/products"), { method: "POST", token: manager, body: newProduct });
    expect(created.body.id).toBe(nextId);
    // The "not found" remembered by the cache for 10 s went with the create.
    expect((await sys.call(url(`/products/${nextId}`))).status).toBe(200);
  });

  it("writes nothing on bad input, a missing or forged token, or the wrong role", async () => {
    const before = await productCount();
    const cases: Array<[number, Parameters<TestSystem["call"]>[1]]> = [
      [400, { body: { ...newProduct, name: undefined } }],
      [400, { body: { ...newProduct, priceCents: "12" } }],
      [400, { body: { ...newProduct, priceCents: -1 } }],
      [400, { body: { ...newProduct, material: "unobtainium" } }],
      [400, { body: { ...newProduct, modelKey: "../../etc/passwd" } }],
      [400, { body: { ...newProduct, isAdmin: true } }],
      [400, { rawBody: '{"name": "x",' }],
      [413, { body: { ...newProduct, description: "x".repeat(2 * 1024 * 1024) } }],
      [415, { rawBody: "name=x", headers: { "content-type": "text/plain" } }],
      [401, { body: newProduct, token: "" }],
      [401, { body: newProduct, token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZSI6Im1hbmFnZXIifQ.AAAA" }],
      [403, { body: newProduct, token: sys.token("customer", "1") }],
      [403, { body: newProduct, token: sys.token("operator") }],
    ];
    for (const [status, init] of cases) {
      const res = await sys.call(url("/products"), { method: "POST", token: manager, ...init });
      expect(res.status, JSON.stringify(init).slice(60, 200)).toBe(status);
      expect(res.body.error.code).toEqual(expect.any(String));
    }
    expect(await productCount()).toBe(before);
  });
});

describe("Shop PATCH /products/:id", () => {
  it("changes the given fields and the update time", async () => {
    const before = (await sys.call(url("/products/4"))).body;
    const res = await sys.call(url("/products/4"), { method: "PATCH", token: manager, body: { priceCents: 4242 } });
    expect(res.status).toBe(200);
    const { model: _model, ...fields } = before;
    expect(res.body).toMatchObject({ ...fields, priceCents: 4242, updatedAt: expect.any(String) });
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
  });

  it("rejects an empty or bad patch, an unknown id and a customer", async () => {
    const patch = (id: number | string, body: unknown, token = manager) =>
      sys.call(url(`/products/${id}`), { method: "PATCH", token, body });
    expect((await patch(4, {})).status).toBe(400);
    expect((await patch(4, { priceCents: 1.5 })).status).toBe(400);
    expect((await patch(4, { id: 9 })).status).toBe(400);
    expect((await patch(99999, { priceCents: 1 })).status).toBe(404);
    expect((await patch(4, { priceCents: 1 }, sys.token("customer", "1"))).status).toBe(403);
    expect((await sys.call(url("/products/4"))).body.priceCents).toBe(4242);
  });
});

describe("Shop orders", () => {
  const place = (body: unknown, token = sys.token("customer", "2")) =>
    sys.call(url("/orders"), { method: "POST", token, body });

  it("places an order at the catalogue's prices; MES and the customer see it", async () => {
    const p5 = (await sys.call(url("/products/5"))).body;
    const p6 = (await sys.call(url("/products/6"))).body;
    const res = await place({
      items: [
        { productId: 5, quantity: 3 },
        { productId: 6, quantity: 1 },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      customerId: 2,
      status: "created",
      totalCents: 3 * p5.priceCents + p6.priceCents,
      items: [
        { productId: 5, productName: p5.name, quantity: 3, unitPriceCents: p5.priceCents },
        { productId: 6, productName: p6.name, quantity: 1, unitPriceCents: p6.priceCents },
      ],
    });
    const mine = await sys.call(url(`/orders/${res.body.id}`), { token: sys.token("customer", "2") });
    expect(mine.status).toBe(200);
    expect(mine.body.id).toBe(res.body.id);
    const inMes = await sys.call(`${sys.urls.mes}/orders/${res.body.id}`, { token: sys.token("operator") });
    expect(inMes.body.totalCents).toBe(res.body.totalCents);
  });

  it("shows a customer who changed their order's status as printfab, never an operator's login", async () => {
    const order = (await place({ items: [{ productId: 8, quantity: 1 }] })).body;
    const operator = sys.token("operator", "op-alice");
    await sys.call(`${sys.urls.mes}/orders/${order.id}/status`, {
      method: "POST",
      token: operator,
      body: { status: "approved" },
    });
    const mine = await sys.call(url(`/orders/${order.id}`), { token: sys.token("customer", "2") });
    expect(mine.body.history.map((h: { by: string }) => h.by)).toEqual(["customer", "printfab"]);
    expect(JSON.stringify(mine.body)).not.toMatch(/op-alice/);
  });

  it("never shows a customer another customer's order", async () => {
    const order = (await place({ items: [{ productId: 7, quantity: 1 }] })).body;
    const other = await sys.call(url(`/orders/${order.id}`), { token: sys.token("customer", "3") });
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body)).not.toMatch(/productName|totalCents/);
    // The order's cached entry is shared (the other customer's request loaded it): whose it is, is checked
    // on every read, before and after its owner's.
    expect((await sys.call(url(`/orders/${order.id}`), { token: sys.token("customer", "2") })).status).toBe(200);
    expect((await sys.call(url(`/orders/${order.id}`), { token: sys.token("customer", "3") })).status).toBe(404);
    expect((await sys.call(url("/orders/999999"), { token: sys.token("customer", "3") })).status).toBe(404);
    expect((await sys.call(url(`/orders/${order.id}`), { token: manager })).status).toBe(403);
    expect((await sys.call(url(`/orders/${order.id}`))).status).toBe(401);
  });

  it("writes nothing for unknown or duplicate products, bad quantities or the wrong role", async () => {
    const before = await orderCount();
    const unknown = await place({ items: [{ productId: 99999, quantity: 1 }] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: "unknown_product", message: expect.stringMatching(/99999/) });
    const dup = await place({
      items: [
        { productId: 5, quantity: 1 },
        { productId: 5, quantity: 2 },
      ],
    });
    expect(dup.status).toBe(422);
    expect((await place({ items: [{ productId: 5, quantity: 0 }] })).status).toBe(400);
    expect((await place({ items: [] })).status).toBe(400);
    expect((await place({ items: [{ productId: 5, quantity: 1 }] }, manager)).status).toBe(403);
    expect(await orderCount()).toBe(before);
  });
});

describe("Shop when MES fails", () => {
  let slow: Server;
  let broken: TestSystem;
  let hanging: TestSystem;
  beforeAll(async () => {
    slow = createServer(() => {});
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    broken = await startTestSystem({ mesUrl: "http://127.0.0.1:1" });
    hanging = await startTestSystem({
      mesUrl: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`,
      neighbourTimeoutMs: 300,
    });
    for (const s of [broken, hanging]) await seed(s.db, { products: 3, customers: 1, orders: 0 });
  });
  afterAll(async () => {
    await Promise.all([broken.stop(), hanging.stop()]);
    slow.closeAllConnections();
    await new Promise<void>((r) => slow.close(() => r()));
  });

  it("answers 502 when MES is unreachable and 504 when it does not answer in time", async () => {
    const body = { items: [{ productId: 1, quantity: 1 }] };
    const down = await broken.call(`${broken.urls.shop}/orders`, {
      method: "POST",
      token: broken.token("customer", "1"),
      body,
    });
    expect(down.status).toBe(502);
    expect(down.body.error.code).toBe("neighbour_unavailable");
    const late = await hanging.call(`${hanging.urls.shop}/orders/1`, { token: hanging.token("customer", "1") });
    expect(late.status).toBe(504);
    expect(late.body.error.code).toBe("neighbour_timeout");
  });
});
