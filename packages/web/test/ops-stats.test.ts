import { describe, expect, it } from "vitest";
import { type CacheCounters, type OpsStats, readStats } from "../app/lib/ops-stats.ts";

function cache(name: string, over: Partial<CacheCounters> = {}): CacheCounters {
  return {
    name,
    hitL1: 0,
    hitL2: 0,
    miss: 0,
    stale: 0,
    bypass: 0,
    loads: 0,
    loadErrors: 0,
    invalidations: 0,
    checks: 0,
    violations: 0,
    ...over,
  };
}

function stats(at: string, over: Partial<OpsStats> = {}): OpsStats {
  return {
    service: "shop",
    at,
    startedAt: "2026-01-01T00:00:00.000Z",
    caches: [cache("shop_products")],
    db: { queries: 0 },
    objectStore: { get: 0, put: 0, head: 0, delete: 0 },
    http: {
      requests: 0,
      buckets: [
        { le: 0.01, count: 0 },
        { le: 0.1, count: 0 },
        { le: null, count: 0 },
      ],
    },
    outbox: { pending: 0, lagSeconds: { count: 0, sum: 0 } },
    redis: { kind: "memory", breaker: null, bus: null },
    ...over,
  };
}

describe("readStats", () => {
  const first = stats("2026-01-01T00:01:00.000Z", {
    caches: [cache("shop_products", { hitL1: 80, hitL2: 10, miss: 10, loads: 10 })],
    db: { queries: 100 },
    objectStore: { get: 5, put: 0, head: 0, delete: 0 },
    http: {
      requests: 100,
      buckets: [
        { le: 0.01, count: 90 },
        { le: 0.1, count: 100 },
        { le: null, count: 100 },
      ],
    },
    outbox: { pending: 2, lagSeconds: { count: 4, sum: 1 } },
  });
  const second = stats("2026-01-01T00:01:02.000Z", {
    caches: [cache("shop_products", { hitL1: 170, hitL2: 20, miss: 20, loads: 20, invalidations: 3, checks: 1000 })],
    db: { queries: 140 },
    objectStore: { get: 9, put: 1, head: 0, delete: 0 },
    http: {
      requests: 200,
      buckets: [
        { le: 0.01, count: 90 },
        { le: 0.1, count: 200 },
        { le: null, count: 200 },
      ],
    },
    outbox: { pending: 0, lagSeconds: { count: 6, sum: 2 } },
    redis: { kind: "redis", breaker: "closed", bus: "up" },
  });

  it("has no rates on the first poll, only what the counters say alone", () => {
    const r = readStats(null, first);
    expect(r.dbQps).toBeNull();
    expect(r.p99).toBeNull();
    expect(r.cacheShare).toBeNull();
    expect(r.caches[0]?.hitRatio).toBeCloseTo(0.9, 9);
    expect(r.outboxPending).toBe(2);
  });

  it("derives rates, the cache's share and latency from the differences between polls", () => {
    const r = readStats(first, second);
    expect(r.dbQps).toBe(20);
    expect(r.s3Rps).toBe(2.5);
    expect(r.requestsPerSec).toBe(50);
    // 100 hits and 10 loads in the interval
    expect(r.cacheShare).toBeCloseTo(100 / 110, 9);
    // all 100 requests of the interval took 10-100 ms
    expect(r.p50).toBeCloseTo(0.055, 9);
    expect(r.outboxLag).toBeCloseTo(0.5, 9);
    expect(r.caches[0]).toMatchObject({
      hitsPerSec: 50,
      loadsPerSec: 5,
      invalidations: 3,
      nines: { value: 3, atLeast: true },
    });
    expect(r.redis.bus).toBe("up");
  });

  it("reads a restarted process's first poll as a first poll", () => {
    const restarted = { ...second, startedAt: "2026-01-01T00:01:01.000Z" };
    expect(readStats(first, restarted).dbQps).toBeNull();
  });

  it("treats a cache that appeared since the last poll as new", () => {
    const more = { ...second, caches: [...second.caches, cache("shop_models", { hitL1: 5, loads: 1 })] };
    const r = readStats(first, more);
    expect(r.caches[1]?.hitsPerSec).toBeNull();
    expect(r.cacheShare).toBeCloseTo(100 / 110, 9);
  });
});
