import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuth } from "../src/auth.ts";
import { DEFAULT_EDGE } from "../src/client-limits.ts";
import { createHttpApp, type HttpApp } from "../src/http-app.ts";
import { createLogger } from "../src/logger.ts";
import { PlatformMetrics } from "../src/metrics.ts";
import { summarizeMetrics } from "../src/ops-stats.ts";

const auth = createAuth("a-secret-of-sufficient-length");
const ADMIN = "an-admin-token-of-some-length";

function filledRegistry(): Registry {
  const registry = new Registry();
  const requests = new Counter({
    name: "cache_requests_total",
    help: "-",
    labelNames: ["cache", "result"],
    registers: [registry],
  });
  requests.inc({ cache: "shop_products", result: "hit_l1" }, 90);
  requests.inc({ cache: "shop_products", result: "hit_l2" }, 5);
  requests.inc({ cache: "shop_products", result: "miss" }, 5);
  requests.inc({ cache: "mes_orders", result: "stale" }, 2);
  const loads = new Counter({ name: "cache_loads_total", help: "-", labelNames: ["cache"], registers: [registry] });
  loads.inc({ cache: "shop_products" }, 5);
  const invalidations = new Counter({
    name: "cache_invalidations_total",
    help: "-",
    labelNames: ["cache", "kind"],
    registers: [registry],
  });
  invalidations.inc({ cache: "shop_products", kind: "key" }, 3);
  invalidations.inc({ cache: "shop_products", kind: "tag" }, 1);
  const db = new Counter({ name: "db_queries_total", help: "-", labelNames: ["service"], registers: [registry] });
  db.inc({ service: "shop" }, 12);
  db.inc({ service: "shop-outbox" }, 100);
  const store = new Counter({
    name: "object_store_requests_total",
    help: "-",
    labelNames: ["op"],
    registers: [registry],
  });
  store.inc({ op: "get" }, 4);
  const pending = new Gauge({ name: "outbox_pending", help: "-", labelNames: ["service"], registers: [registry] });
  pending.set({ service: "shop" }, 3);
  const durations = new Histogram({
    name: "http_request_duration_seconds",
    help: "-",
    labelNames: ["service", "route"],
    buckets: [0.001, 0.01],
    registers: [registry],
  });
  durations.observe({ service: "shop", route: "/a" }, 0.0005);
  durations.observe({ service: "shop", route: "/b" }, 0.005);
  durations.observe({ service: "shop", route: "/b" }, 5);
  durations.observe({ service: "mes", route: "/b" }, 0.005);
  return registry;
}

describe("summarizeMetrics", () => {
  it("adds each cache's outcomes up, and counts only this service's queries and requests", async () => {
    const stats = summarizeMetrics(await filledRegistry().getMetricsAsJSON(), "shop");
    expect(stats.caches.map((c) => c.name)).toEqual(["mes_orders", "shop_products"]);
    expect(stats.caches[1]).toEqual({
      name: "shop_products",
      hitL1: 90,
      hitL2: 5,
      miss: 5,
      stale: 0,
      bypass: 0,
      loads: 5,
      loadErrors: 0,
      invalidations: 4,
      checks: 0,
      violations: 0,
    });
    expect(stats.caches[0]?.stale).toBe(2);
    expect(stats.db.queries).toBe(12);
    expect(stats.objectStore).toEqual({ get: 4, put: 0, head: 0, delete: 0 });
    expect(stats.outbox.pending).toBe(3);
    expect(stats.http.buckets).toEqual([
      { le: 0.001, count: 1 },
      { le: 0.01, count: 2 },
      { le: null, count: 3 },
    ]);
    expect(stats.http.requests).toBe(3);
  });
});

describe("GET /ops/stats", () => {
  let open: HttpApp;
  let guarded: HttpApp;
  const make = (adminToken?: string) => {
    const metrics = new PlatformMetrics();
    metrics.dbQueries.inc({ service: "shop" }, 12);
    return createHttpApp({
      service: "shop",
      description: "test",
      logger: createLogger("silent"),
      auth,
      metrics,
      edge: { ...DEFAULT_EDGE, maxEventLoopDelayMs: 0, adminToken },
    });
  };
  beforeAll(async () => {
    open = await make();
    guarded = await make(ADMIN);
  });
  afterAll(async () => {
    await open.close();
    await guarded.close();
  });

  it("is open as /metrics is, when no admin token is set", async () => {
    const res = await open.inject({ method: "GET", url: "/ops/stats" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.json()).toMatchObject({ service: "shop", db: { queries: 12 }, redis: { kind: "off", bus: null } });
  });

  it("takes the admin token or a staff member's session when one is set", async () => {
    const get = (headers: Record<string, string> = {}, cookies: Record<string, string> = {}) =>
      guarded.inject({ method: "GET", url: "/ops/stats", headers, cookies });
    const session = (role: "manager" | "operator" | "customer") => ({
      printfab_shop_session: auth.sign({ sub: role === "customer" ? "3" : role, role }),
    });
    expect((await get()).statusCode).toBe(401);
    expect((await get({ authorization: `Bearer ${ADMIN}` })).statusCode).toBe(200);
    expect((await get({}, session("manager"))).statusCode).toBe(200);
    expect((await get({}, session("operator"))).statusCode).toBe(200);
    expect((await get({}, session("customer"))).statusCode).toBe(403);
  });
});

describe("pages", () => {
  let dist: string;
  let app: HttpApp;
  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), "printfab-pages-"));
    await mkdir(join(dist, "assets"));
    await writeFile(join(dist, "index.html"), "<!doctype html><title>shop</title>");
    await writeFile(join(dist, "assets", "main-Ab12Cd34.js"), "console.log(1)");
    app = await createHttpApp({
      service: "shop",
      description: "test",
      logger: createLogger("silent"),
      edge: { ...DEFAULT_EDGE, maxEventLoopDelayMs: 0 },
      pages: { distDir: dist, pages: { "/": "index.html", "/ops": "ops.html" } },
    });
  });
  afterAll(async () => {
    await app.close();
    await rm(dist, { recursive: true, force: true });
  });

  it("serves the HTML revalidated on every visit, under a policy that keeps scripts on this origin", async () => {
    const res = await app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(res.body).toContain("<title>shop</title>");
  });

  it("serves content-hashed assets as immutable, and nothing outside the build", async () => {
    const res = await app.inject({ method: "GET", url: "/assets/main-Ab12Cd34.js" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect((await app.inject({ method: "GET", url: "/assets/../index.html" })).statusCode).not.toBe(200);
    expect((await app.inject({ method: "GET", url: "/assets/%2e%2e/index.html" })).statusCode).toBe(404);
    expect((await app.inject({ method: "GET", url: "/assets/nope.js" })).statusCode).toBe(404);
  });

  it("says how to build a page the build lacks", async () => {
    const res = await app.inject({ method: "GET", url: "/ops" });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.message).toMatch(/npm run build/);
  });
});
