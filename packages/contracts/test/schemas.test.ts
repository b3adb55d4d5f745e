import { PRICING } from "@printfab/mesh";
import { makeAjv } from "@printfab/platform";
import type { TSchema } from "typebox";
import { describe, expect, it } from "vitest";
import {
  MATERIALS,
  NewOrderSchema,
  NewProductSchema,
  PlaceOrderSchema,
  ProductQuerySchema,
  QuoteQuerySchema,
} from "../src/index.ts";

// As the services validate: bodies strictly, query strings coerced from text.
const body = (schema: TSchema) => makeAjv(false).compile(schema);
const query = (schema: TSchema) => makeAjv("array").compile(schema);

describe("materials", () => {
  it("are the price table's, so every product can be quoted", () => {
    expect(MATERIALS).toEqual(Object.keys(PRICING.materials));
    const product = { name: "Bracket", category: "brackets", priceCents: 100 };
    const quote = query(QuoteQuerySchema);
    for (const material of MATERIALS) {
      expect(body(NewProductSchema)({ ...product, material })).toBe(true);
      expect(quote({ material })).toBe(true);
    }
    expect(body(NewProductSchema)({ ...product, material: "unobtainium" })).toBe(false);
    expect(quote({ material: "unobtainium" })).toBe(false);
  });
});

describe("ProductQuerySchema", () => {
  it("pages by default and refuses what the catalogue cannot search", () => {
    const validate = query(ProductQuerySchema);
    const q: Record<string, unknown> = { category: "gears" };
    expect(validate(q)).toBe(true);
    expect(q).toEqual({ category: "gears", limit: 20, offset: 0 });
    for (const bad of [{ category: "Not A Slug" }, { q: "" }, { limit: "0" }, { limit: "101" }, { sort: "price" }]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("an order's lines", () => {
  it("have the same limits whether a customer sends them to the Shop or the Shop to MES", () => {
    const place = body(PlaceOrderSchema);
    const forward = body(NewOrderSchema);
    const line = (quantity: number) => ({ productId: 1, quantity });
    const full = (quantity: number) => ({ ...line(quantity), productName: "Gear", unitPriceCents: 100 });
    for (const [quantity, count, ok] of [
      [1, 1, true],
      [1000, 50, true],
      [0, 1, false],
      [1001, 1, false],
      [1, 51, false],
      [1, 0, false],
    ] as const) {
      expect(place({ items: Array.from({ length: count }, () => line(quantity)) })).toBe(ok);
      expect(forward({ customerId: 1, items: Array.from({ length: count }, () => full(quantity)) })).toBe(ok);
    }
  });
});
