import { seed } from "@printfab/launcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

let sys: TestSystem;
let manager: string;
const url = (path: string) => `${sys.urls.crm}${path}`;
const customer = (id: number) => sys.token("customer", String(id));

beforeAll(async () => {
  sys = await startTestSystem();
  await seed(sys.db, { products: 10, customers: 4, orders: 40 });
  manager = sys.token("manager");
});
afterAll(() => sys.stop());

describe("CRM GET /customers/:id", () => {
  it("shows a manager any profile and a customer their own", async () => {
    const byManager = await sys.call(url("/customers/2"), { token: manager });
    expect(byManager.status).toBe(200);
    expect(byManager.body).toMatchObject({ id: 2, email: expect.stringMatching(/@example\.com$/) });
    expect((await sys.call(url("/customers/2"), { token: customer(2) })).body).toEqual(byManager.body);
  });

  it("answers another customer's profile as missing, and refuses other roles", async () => {
    const other = await sys.call(url("/customers/2"), { token: customer(3) });
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body)).not.toMatch(/@example/);
    expect((await sys.call(url("/customers/2"), { token: sys.token("operator") })).status).toBe(403);
    expect((await sys.call(url("/customers/2"))).status).toBe(401);
    expect((await sys.call(url("/customers/999"), { token: manager })).status).toBe(404);
    expect((await sys.call(url("/customers/two"), { token: manager })).status).toBe(400);
  });
});

describe("CRM PATCH /customers/:id", () => {
  const patch = (id: number, body: unknown, token: string) =>
    sys.call(url(`/customers/${id}`), { method: "PATCH", token, body });

  it("lets a customer change their own profile and a manager any", async () => {
    const own = await patch(1, { phone: "+1 555 0100", address: "1 Loop Rd" }, customer(1));
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: 1, phone: "+1 555 0100", address: "1 Loop Rd" });
    expect((await patch(1, { name: "Ada L." }, manager)).body.name).toBe("Ada L.");
  });

  it("does not let a customer learn whether an email belongs to another customer", async () => {
    const own = (await sys.call(url("/customers/1"), { token: manager })).body.email;
    const taken = (await sys.call(url("/customers/2"), { token: manager })).body.email;
    const toTaken = await patch(1, { email: taken }, customer(1));
    const toFree = await patch(1, { email: "fresh-address@example.com" }, customer(1));
    // The same answer whether or not the address is taken: email changes are a manager's.
    expect([toTaken.status, toTaken.body.error.code]).toEqual([403, "forbidden"]);
    expect(toFree.body).toEqual(toTaken.body);
    // A form that sends the unchanged address back still works.
    const unchanged = await patch(1, { email: own, phone: "+1 555 0101" }, customer(1));
    expect(unchanged.status, JSON.stringify(unchanged.body)).toBe(200);
  });

  it("writes nothing on bad input, a taken email, another customer or an unknown id", async () => {
    const before = (await sys.call(url("/customers/1"), { token: manager })).body;
    const taken = (await sys.call(url("/customers/2"), { token: manager })).body.email;
    expect((await patch(1, { email: taken.toUpperCase() }, manager)).status).toBe(409);
    expect((await patch(1, { email: "not-an-email" }, manager)).status).toBe(400);
    expect((await patch(1, {}, manager)).status).toBe(400);
    expect((await patch(1, { id: 5 }, manager)).status).toBe(400);
    expect((await patch(1, { phone: "call me" }, manager)).status).toBe(400);
    expect((await patch(1, { name: "Mallory" }, customer(2))).status).toBe(404);
    expect((await patch(999, { name: "Nobody" }, manager)).status).toBe(404);
    expect((await sys.call(url("/customers/1"), { token: manager })).body).toEqual(before);
  });
});

describe("CRM orders", () => {
  it("lists a customer's orders and shows one order, asking MES", async () => {
    const res = await sys.call(url("/orders?customerId=2&limit=100"), { token: manager });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(res.body.items.every((o: { customerId: number }) => o.customerId === 2)).toBe(true);
    const one = await sys.call(url(`/orders/${res.body.items[0].id}`), { token: manager });
    expect(one.status).toBe(200);
    expect(one.body.history.length).toBeGreaterThan(0);
    const all = await sys.call(url("/orders?status=cancelled&limit=100"), { token: manager });
    expect(all.body.total).toBe(5);
  });

  it("rejects unknown customers and orders, bad queries and non-managers", async () => {
    expect((await sys.call(url("/orders?customerId=999"), { token: manager })).status).toBe(404);
    expect((await sys.call(url("/orders?customerId=abc"), { token: manager })).status).toBe(400);
    expect((await sys.call(url("/orders/999999"), { token: manager })).status).toBe(404);
    expect((await sys.call(url("/orders?customerId=1"), { token: customer(1) })).status).toBe(403);
    expect((await sys.call(url("/orders/1"), { token: sys.token("operator") })).status).toBe(403);
  });
});
