import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { Cache } from "../src/cache.ts";
import { registerCacheMetrics } from "../src/metrics.ts";

describe("registerCacheMetrics", () => {
  it("exposes the documented metric names per cache, counting each outcome once", async () => {
    const registry = new Registry();
    const a = new Cache({ name: "products" });
    const b = new Cache({ name: "off", enabled: false });
    registerCacheMetrics(a, registry);
    registerCacheMetrics(b, registry);
    await a.getOrLoad("k", async () => 1);
    await a.getOrLoad("k", async () => 1);
    await a.getOrLoad("e", async () => Promise.reject(new Error("x"))).catch(() => {});
    await a.invalidate(["k"]);
    await a.invalidateTags(["t"]);
    await b.getOrLoad("k", async () => 1);
    let text = await registry.metrics();
    expect(text).toContain('cache_requests_total{cache="products",result="hit_l1"} 1');
    expect(text).toContain('cache_requests_total{cache="products",result="miss"} 2');
    expect(text).toContain('cache_requests_total{cache="off",result="bypass"} 1');
    expect(text).toContain('cache_loads_total{cache="products"} 1');
    expect(text).toContain('cache_load_errors_total{cache="products"} 1');
    expect(text).toContain('cache_invalidations_total{cache="products",kind="key"} 1');
    expect(text).toContain('cache_invalidations_total{cache="products",kind="tag"} 1');
    await a.getOrLoad("k", async () => 1);
    text = await registry.metrics();
    expect(text).toContain('cache_requests_total{cache="products",result="miss"} 3');
  });

  it("shares one set of counters per registry, and stops reporting a cache when told", async () => {
    const registry = new Registry();
    const a = new Cache({ name: "a" });
    const b = new Cache({ name: "b" });
    registerCacheMetrics(a, registry);
    const stopB = registerCacheMetrics(b, registry);
    await a.getOrLoad("k", async () => 1);
    await b.getOrLoad("k", async () => 1);
    expect(await registry.metrics()).toContain('cache_loads_total{cache="b"} 1');
    stopB();
    await b.getOrLoad("k2", async () => 1);
    const text = await registry.metrics();
    expect(text).toContain('cache_loads_total{cache="b"} 1');
    expect(text).toContain('cache_loads_total{cache="a"} 1');
    // Another registry is another set: nothing of these caches there.
    const other = new Registry();
    registerCacheMetrics(new Cache({ name: "c" }), other);
    expect(await other.metrics()).not.toContain('cache="a"');
  });

  it("refuses a registry where the names are taken by another metric", () => {
    const registry = new Registry();
    registry.registerMetric(new Counter({ name: "cache_loads_total", help: "someone else's", registers: [] }));
    expect(() => registerCacheMetrics(new Cache({ name: "x" }), registry)).toThrow(/already registered/);
  });
});
