import { seed } from "@printfab/launcher";
import { box, toBinaryStl } from "@printfab/mesh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

/**
 * Every route x every caller: anonymous, a forged token, each role, and a customer on their own and on
 * another's resource. A route's allowed callers get its success status; a missing or bad token is 401
 * before anything else (the body included) is looked at; a valid token of another role is 403; another
 * customer's resource is 404, as if it did not exist.
 */
const CALLERS = ["anonymous", "forged", "customer", "otherCustomer", "manager", "operator", "service"] as const;
type Caller = (typeof CALLERS)[number];

interface RouteCase {
  service: "shop" | "crm" | "mes";
  method: string;
  path: string;
  body?: unknown;
  file?: Buffer;
  /** The status each caller gets; callers not named get `otherwise`. */
  expect: Partial<Record<Caller, number>>;
  otherwise: number;
}

const cube = toBinaryStl(box(10, 10, 10));
const publicRead = (status = 200) => Object.fromEntries(CALLERS.map((c) => [c, status])) as Record<Caller, number>;
// A forged token on a public route is ignored, as no token would be.
const staffOnly = { anonymous: 401, forged: 401, customer: 403, otherCustomer: 403 };

const ROUTES: RouteCase[] = [
  { service: "shop", method: "GET", path: "/products", expect: publicRead(), otherwise: 200 },
  { service: "shop", method: "GET", path: "/products/1", expect: publicRead(), otherwise: 200 },
  { service: "shop", method: "POST", path: "/quotes", file: cube, expect: publicRead(), otherwise: 200 },
  {
    service: "shop",
    method: "POST",
    path: "/models",
    file: cube,
    expect: { ...staffOnly, manager: 201, operator: 403, service: 403 },
    otherwise: 403,
  },
  {
    service: "shop",
    method: "POST",
    path: "/products",
    body: { name: "Matrix part", category: "gears", material: "PLA", priceCents: 100 },
    expect: { ...staffOnly, manager: 201 },
    otherwise: 403,
  },
  {
    service: "shop",
    method: "PATCH",
    path: "/products/1",
    body: { priceCents: 1234 },
    expect: { ...staffOnly, manager: 200 },
    otherwise: 403,
  },
  {
    service: "shop",
    method: "POST",
    path: "/orders",
    body: { items: [{ productId: 2, quantity: 1 }] },
    expect: { anonymous: 401, forged: 401, customer: 201, otherCustomer: 201 },
    otherwise: 403,
  },
  {
    service: "shop",
    method: "GET",
    path: "/orders/:own",
    expect: { anonymous: 401, forged: 401, customer: 200, otherCustomer: 404 },
    otherwise: 403,
  },
  {
    service: "crm",
    method: "GET",
    path: "/customers/:customer",
    expect: { anonymous: 401, forged: 401, customer: 200, otherCustomer: 404, manager: 200 },
    otherwise: 403,
  },
  {
    service: "crm",
    method: "PATCH",
    path: "/customers/:customer",
    body: { phone: "+1 555 0199" },
    expect: { anonymous: 401, forged: 401, customer: 200, otherCustomer: 404, manager: 200 },
    otherwise: 403,
  },
  { service: "crm", method: "GET", path: "/orders", expect: { ...staffOnly, manager: 200 }, otherwise: 403 },
  { service: "crm", method: "GET", path: "/orders/:own", expect: { ...staffOnly, manager: 200 }, otherwise: 403 },
  {
    service: "mes",
    method: "GET",
    path: "/orders",
    expect: { ...staffOnly, manager: 200, operator: 200, service: 200 },
    otherwise: 403,
  },
  {
    service: "mes",
    method: "GET",
    path: "/orders/:own",
    expect: { ...staffOnly, manager: 200, operator: 200, service: 200 },
    otherwise: 403,
  },
  {
    service: "mes",
    method: "POST",
    path: "/orders/:own/status",
    body: { status: "approved" },
    expect: { ...staffOnly, operator: 200 },
    otherwise: 403,
  },
  {
    service: "mes",
    method: "POST",
    path: "/orders",
    body: { customerId: 1, items: [{ productId: 1, productName: "x", quantity: 1, unitPriceCents: 1 }] },
    expect: { ...staffOnly, service: 201 },
    otherwise: 403,
  },
  {
    service: "mes",
    method: "POST",
    path: "/analyses",
    file: cube,
    expect: { ...staffOnly, manager: 200, operator: 200, service: 200 },
    otherwise: 403,
  },
  {
    service: "mes",
    method: "POST",
    path: "/quotes",
    file: cube,
    expect: { ...staffOnly, manager: 200, operator: 200, service: 200 },
    otherwise: 403,
  },
];

let sys: TestSystem;
let ownOrderId: number;

beforeAll(async () => {
  sys = await startTestSystem();
  await seed(sys.db, { products: 5, customers: 2, orders: 0 });
  const placed = await sys.call(`${sys.urls.shop}/orders`, {
    method: "POST",
    token: sys.token("customer", "1"),
    body: { items: [{ productId: 1, quantity: 1 }] },
  });
  ownOrderId = placed.body.id;
}, 60_000);
afterAll(() => sys.stop());

function tokenOf(caller: Caller): string | undefined {
  switch (caller) {
    case "anonymous":
      return undefined;
    case "forged":
      return `${sys.token("manager").slice(0, -4)}AAAA`;
    case "customer":
      return sys.token("customer", "1");
    case "otherCustomer":
      return sys.token("customer", "2");
    default:
      return sys.token(caller);
  }
}

describe("authorization matrix", () => {
  for (const route of ROUTES) {
    it(`${route.service} ${route.method} ${route.path}`, async () => {
      const seen: Record<string, number> = {};
      const wanted: Record<string, number> = {};
      for (const caller of CALLERS) {
        const path = route.path.replace(":own", String(ownOrderId)).replace(":customer", "1");
        const res = await sys.call(`${sys.urls[route.service]}${path}`, {
          method: route.method,
          token: tokenOf(caller),
          ...(route.file
            ? { rawBody: route.file, headers: { "content-type": "application/octet-stream" } }
            : route.body !== undefined
              ? { body: route.body }
              : {}),
        });
        seen[caller] = res.status;
        wanted[caller] = route.expect[caller] ?? route.otherwise;
      }
      expect(seen).toEqual(wanted);
    });
  }
});
