import { describe, expect, it } from "vitest";
import { parseRoute, routeHref } from "../app/lib/routes.ts";

describe("storefront routes", () => {
  it("reads the hash", () => {
    expect(parseRoute("#/product/12")).toEqual({ page: "product", id: 12 });
    expect(parseRoute("#/order/7")).toEqual({ page: "order", id: 7 });
    expect(parseRoute("#/quote")).toEqual({ page: "quote" });
    expect(parseRoute("#/orders")).toEqual({ page: "orders" });
    expect(parseRoute("")).toEqual({ page: "catalogue" });
  });

  it("sends anything else to the catalogue", () => {
    for (const hash of [
      "#/product/0",
      "#/product/-1",
      "#/product/1e3",
      "#/product/12/x",
      "#/quote/1",
      "#/order/",
      "#/../x",
      "#/product/99999999999999999",
    ]) {
      expect(parseRoute(hash), hash).toEqual({ page: "catalogue" });
    }
  });

  it("writes what it reads", () => {
    for (const hash of ["#/product/12", "#/order/3", "#/quote", "#/orders", "#/"])
      expect(routeHref(parseRoute(hash))).toBe(hash);
  });
});
