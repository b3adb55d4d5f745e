import { seed } from "@printfab/launcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

let sys: TestSystem;
const categories = () => sys.call(`${sys.urls.shop}/categories`);
const dbQueries = () => sys.metrics.value("db_queries_total", { service: "shop" });

beforeAll(async () => {
  sys = await startTestSystem({ cache: "redis" });
  await seed(sys.db, { products: 200, customers: 1, orders: 0 });
});
afterAll(() => sys.stop());

describe("GET /categories on PostgreSQL and Redis", () => {
  it("counts every product once, sorted by name, then answers from the cache with no query", async () => {
    const first = await categories();
    expect(first.status).toBe(200);
    const names = first.body.items.map((c: { name: string }) => c.name);
    expect(names).toEqual([...names].sort());
    expect(first.body.items.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(200);
    const queries = await dbQueries();
    const again = await categories();
    expect(again.headers.get("cache-status")).toMatch(/^shop; hit/);
    expect(again.body).toEqual(first.body);
    expect(await dbQueries()).toBe(queries);
  });

  it("is invalidated, before the write is acknowledged, when a product changes category", async () => {
    const before = (await categories()).body.items as Array<{ name: string; count: number }>;
    const from = before[0] as { name: string; count: number };
    const product = (await sys.call(`${sys.urls.shop}/products?category=${from.name}&limit=1`)).body.items[0];
    const moved = await sys.call(`${sys.urls.shop}/products/${product.id}`, {
      method: "PATCH",
      token: sys.token("manager"),
      body: { category: "zz-moved" },
    });
    expect(moved.status).toBe(200);
    const after = (await categories()).body.items;
    expect(after).toContainEqual({ name: from.name, count: from.count - 1 });
    expect(after.at(-1)).toEqual({ name: "zz-moved", count: 1 });
  });
});
