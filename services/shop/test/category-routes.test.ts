import { CategoryListSchema } from "@printfab/contracts";
import type { Role } from "@printfab/platform";
import { Value } from "typebox/value";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CatalogueApp, startCatalogueApp } from "./support/catalogue-app.ts";

let t: CatalogueApp;

const manager = () => ({ authorization: `Bearer ${t.token("manager")}` });
const create = async (name: string, category: string) => {
  const res = await t.app.inject({
    method: "POST",
    url: "/products",
    headers: manager(),
    payload: { name, category, material: "PLA", priceCents: 100 },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
};
const categories = (headers: Record<string, string> = {}) => t.app.inject({ url: "/categories", headers });

beforeAll(async () => {
  t = await startCatalogueApp();
  // Names that sort differently under a locale's collation than by code point ("-" before letters).
  for (const [name, category] of [
    ["A", "gears"],
    ["B", "gear-racks"],
    ["C", "gears"],
    ["D", "brackets"],
    ["E", "2d-parts"],
  ] as const)
    await create(name, category);
});
afterAll(() => t.close());

describe("GET /categories", () => {
  it("lists every category with its count, by name, to anyone, from the cache the second time", async () => {
    for (const role of [undefined, "customer", "operator", "manager"] as Array<Role | undefined>) {
      const res = await categories(role ? { authorization: `Bearer ${t.token(role)}` } : {});
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(Value.Check(CategoryListSchema, res.json())).toBe(true);
      expect(res.json()).toEqual({
        items: [
          { name: "2d-parts", count: 1 },
          { name: "brackets", count: 1 },
          { name: "gear-racks", count: 1 },
          { name: "gears", count: 2 },
        ],
      });
      expect(res.headers["cache-status"]).toMatch(role ? /^shop; hit/ : /^shop; fwd=miss; stored/);
    }
  });

  it("answers 304 to its ETag, and 400 to a query string (it takes none)", async () => {
    const { etag } = (await categories()).headers;
    expect((await categories({ "if-none-match": etag as string })).statusCode).toBe(304);
    for (const q of ["limit=5", "category=gears"]) {
      const res = await t.app.inject({ url: `/categories?${q}` });
      expect([res.statusCode, res.json().error.code], q).toEqual([400, "bad_request"]);
    }
  });

  it("changes as soon as a product is created, moved to another category, or another is added", async () => {
    const id = await create("F", "brackets");
    const afterCreate = (await categories()).json().items;
    expect(afterCreate).toContainEqual({ name: "brackets", count: 2 });
    const moved = await t.app.inject({
      method: "PATCH",
      url: `/products/${id}`,
      headers: manager(),
      payload: { category: "zz-new" },
    });
    expect(moved.statusCode).toBe(200);
    const items = (await categories()).json().items;
    expect(items).toContainEqual({ name: "brackets", count: 1 });
    expect(items.at(-1)).toEqual({ name: "zz-new", count: 1 });
    expect((await categories()).headers["cache-status"]).toMatch(/^shop; hit/);
  });
});
