import { MemoryL2Store } from "@printfab/cache";
import { type RedisServer, startRedisServer } from "@printfab/testkit";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCacheFactory } from "../src/cache-factory.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";

const logger = createLogger("silent");
const config = (env: Record<string, string>) => loadConfig({ AUTH_SECRET: "x".repeat(32), ...env });

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

const until = async (cond: () => Promise<boolean> | boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("createCacheFactory", () => {
  it("off: caches that run the loader every time, and nothing to check", async () => {
    const factory = await createCacheFactory(config({ CACHE: "off" }), logger, { registry: new Registry() });
    const cache = await factory.create("c", "p");
    expect(await cache.fetch("k", async () => 1)).toMatchObject({ status: "bypass" });
    expect([factory.kind, factory.healthCheck(), factory.health()]).toEqual(["off", undefined, undefined]);
    await factory.close();
  });

  it("in process: each factory has a store of its own unless one is given", async () => {
    const registry = new Registry();
    const a = await createCacheFactory(config({ CACHE: "on" }), logger, { registry });
    const b = await createCacheFactory(config({ CACHE: "on" }), logger, { registry });
    await (await a.create("c", "p")).getOrLoad("k", async () => "a's");
    expect(await (await b.create("c", "p")).getOrLoad("k", async () => "b's")).toBe("b's");
    const store = new MemoryL2Store();
    const c = await createCacheFactory(config({ CACHE: "on" }), logger, { registry, memoryStore: store });
    const d = await createCacheFactory(config({ CACHE: "on" }), logger, { registry, memoryStore: store });
    await (await c.create("c", "p")).getOrLoad("k", async () => "c's");
    expect(await (await d.create("c", "p")).getOrLoad("k", async () => "d's")).toBe("c's");
    expect(a.kind).toBe("memory");
    expect(a.health()).toEqual({ breaker: "closed", bus: "confirmed", pendingInvalidations: 0 });
    // Four caches named "c", three loads: one label, as several instances of a service would have.
    expect(await registry.metrics()).toContain('cache_loads_total{cache="c"} 3');
    await Promise.all([a, b, c, d].map((f) => f.close()));
  });

  it("on Redis: the health check fails while the bus is silent, and passes again once beats come back", async () => {
    const factory = await createCacheFactory(
      config({ CACHE: "on", REDIS_URL: redis.url, CACHE_NAMESPACE: "hc" }),
      logger,
      { registry: new Registry() },
    );
    const admin = new Redis(redis.url);
    try {
      const check = factory.healthCheck();
      expect(check?.name).toBe("redis");
      await check?.check();
      await (await factory.create("c", "p")).getOrLoad("k", async () => 1);
      // PING still answers, PUBLISH waits: the beats cannot go round.
      await admin.call("CLIENT", "PAUSE", "2500", "WRITE");
      await until(() => factory.health()?.bus === "silent", 2000);
      await expect(check?.check()).rejects.toThrow(/bus silent/);
      await until(() => (check?.check() ?? Promise.resolve()).then(() => true).catch(() => false), 6000);
      expect(factory.health()).toMatchObject({ bus: "confirmed", breaker: "closed" });
    } finally {
      admin.disconnect();
      await factory.close();
    }
  }, 20_000);
});
