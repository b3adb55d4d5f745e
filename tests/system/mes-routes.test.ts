import { seed } from "@printfab/launcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

let sys: TestSystem;
let operator: string;
const url = (path: string) => `${sys.urls.mes}${path}`;

/** A fresh order in `created`, placed as customer 1 through the Shop. */
async function newOrder(): Promise<number> {
  const res = await sys.call(`${sys.urls.shop}/orders`, {
    method: "POST",
    token: sys.token("customer", "1"),
    body: { items: [{ productId: 1, quantity: 2 }] },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}
const setStatus = (id: number, status: string, token = operator) =>
  sys.call(url(`/orders/${id}/status`), { method: "POST", token, body: { status } });

beforeAll(async () => {
  sys = await startTestSystem();
  await seed(sys.db, { products: 20, customers: 3, orders: 40 });
  operator = sys.token("operator", "op-1");
});
afterAll(() => sys.stop());

describe("MES GET /orders", () => {
  it("lists the queue oldest first, filtered by status and customer", async () => {
    const all = await sys.call(url("/orders?limit=100"), { token: operator });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(40);
    const ids = all.body.items.map((o: { id: number }) => o.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const printing = await sys.call(url("/orders?status=printing&limit=100"), { token: sys.token("manager") });
    expect(printing.body.items.length).toBe(5);
    expect(printing.body.items.every((o: { status: string }) => o.status === "printing")).toBe(true);
    const mine = await sys.call(url("/orders?customerId=2&limit=100"), { token: operator });
    expect(mine.body.items.every((o: { customerId: number }) => o.customerId === 2)).toBe(true);
  });

  it("rejects bad filters, missing tokens and customers", async () => {
    expect((await sys.call(url("/orders?status=flying"), { token: operator })).status).toBe(400);
    expect((await sys.call(url("/orders?limit=0"), { token: operator })).status).toBe(400);
    expect((await sys.call(url("/orders?limit=abc"), { token: operator })).status).toBe(400);
    expect((await sys.call(url("/orders?color=red"), { token: operator })).status).toBe(400);
    expect((await sys.call(url("/orders"))).status).toBe(401);
    const customer = await sys.call(url("/orders"), { token: sys.token("customer", "1") });
    expect(customer.status).toBe(403);
    expect(customer.body.error.code).toBe("forbidden");
  });
});

describe("MES GET /orders/:id", () => {
  it("returns an order with items and history, or 404 / 400", async () => {
    const id = await newOrder();
    const res = await sys.call(url(`/orders/${id}`), { token: operator });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, customerId: 1, status: "created", items: [{ productId: 1, quantity: 2 }] });
    expect(res.body.history).toEqual([expect.objectContaining({ from: null, to: "created", by: "customer:1" })]);
    expect((await sys.call(url("/orders/999999"), { token: operator })).status).toBe(404);
    expect((await sys.call(url("/orders/abc"), { token: operator })).status).toBe(400);
    expect((await sys.call(url("/orders/0"), { token: operator })).status).toBe(400);
  });
});

describe("MES POST /orders/:id/status", () => {
  it("walks every legal transition to delivered, recording who and when", async () => {
    const id = await newOrder();
    const path = ["approved", "printing", "post_processing", "packed", "shipped", "delivered"];
    for (const status of path) {
      const res = await setStatus(id, status);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(status);
    }
    const order = (await sys.call(url(`/orders/${id}`), { token: operator })).body;
    expect(order.history.map((h: { to: string }) => h.to)).toEqual(["created", ...path]);
    expect(order.history.at(-1)).toMatchObject({ from: "shipped", to: "delivered", by: "op-1" });
  });

  it("cancels before shipping and answers 409 to every illegal transition, writing nothing", async () => {
    const id = await newOrder();
    for (const illegal of ["printing", "shipped", "delivered", "created"]) {
      const res = await setStatus(id, illegal);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("illegal_transition");
      expect(res.body.error.message).toMatch(/'created'/);
    }
    expect((await setStatus(id, "cancelled")).status).toBe(200);
    expect((await setStatus(id, "approved")).status).toBe(409);
    const order = (await sys.call(url(`/orders/${id}`), { token: operator })).body;
    expect(order.history.map((h: { to: string }) => h.to)).toEqual(["created", "cancelled"]);

    const shipped = await newOrder();
    for (const s of ["approved", "printing", "post_processing", "packed", "shipped"]) await setStatus(shipped, s);
    expect((await setStatus(shipped, "cancelled")).status).toBe(409);
  });

  it("serializes concurrent transitions: of 20 operators racing, exactly one wins", async () => {
    const id = await newOrder();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => setStatus(id, "approved", sys.token("operator", `op-${i}`))),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const order = (await sys.call(url(`/orders/${id}`), { token: operator })).body;
    expect(order.history.filter((h: { to: string }) => h.to === "approved")).toHaveLength(1);
  });

  it("rejects bad input, other roles and unknown orders", async () => {
    const id = await newOrder();
    expect((await setStatus(id, "flying")).status).toBe(400);
    expect((await sys.call(url(`/orders/${id}/status`), { method: "POST", token: operator, body: {} })).status).toBe(
      400,
    );
    expect(
      (await sys.call(url(`/orders/${id}/status`), { method: "POST", token: operator, rawBody: '{"status":' })).status,
    ).toBe(400);
    expect((await setStatus(id, "approved", sys.token("manager"))).status).toBe(403);
    expect((await setStatus(id, "approved", sys.token("customer", "1"))).status).toBe(403);
    expect((await sys.call(url(`/orders/${id}/status`), { method: "POST", body: { status: "approved" } })).status).toBe(
      401,
    );
    expect((await setStatus(999999, "approved")).status).toBe(404);
    expect((await sys.call(url(`/orders/${id}`), { token: operator })).body.status).toBe("created");
  });
});

describe("MES POST /orders (internal)", () => {
  const order = { customerId: 2, items: [{ productId: 3, productName: "X", quantity: 1, unitPriceCents: 500 }] };

  it("creates an order for a service caller only", async () => {
    const res = await sys.call(url("/orders"), { method: "POST", token: sys.token("service", "shop"), body: order });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ customerId: 2, totalCents: 500, status: "created" });
    expect(
      (await sys.call(url("/orders"), { method: "POST", token: sys.token("customer", "2"), body: order })).status,
    ).toBe(403);
    expect((await sys.call(url("/orders"), { method: "POST", token: operator, body: order })).status).toBe(403);
  });

  it("rejects an order without items or with a bad quantity", async () => {
    const token = sys.token("service", "shop");
    expect((await sys.call(url("/orders"), { method: "POST", token, body: { customerId: 2, items: [] } })).status).toBe(
      400,
    );
    const bad = { customerId: 2, items: [{ ...order.items[0], quantity: 0 }] };
    expect((await sys.call(url("/orders"), { method: "POST", token, body: bad })).status).toBe(400);
  });
});
