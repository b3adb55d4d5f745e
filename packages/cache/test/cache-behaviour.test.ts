import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Cache } from "../src/cache.ts";
import { LoaderTimeoutError } from "../src/errors.ts";
import { KeySpace } from "../src/keys.ts";
import { createMemoryL2, MemoryL2Store } from "../src/memory-l2.ts";
import { cacheFactory, deferred, sleep, type Tier, tick } from "./support/caches.ts";
import { type RedisServer, startRedisServer } from "./support/redis-server.ts";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

describe.each(["redis", "memory"] as Tier[])("Cache over %s L2", (tier) => {
  let factory: ReturnType<typeof cacheFactory>;
  let n = 0;
  const fresh = async (opts: Parameters<ReturnType<typeof cacheFactory>["make"]>[0] = {}) => {
    factory ??= cacheFactory(tier, redis.url);
    return factory.make({ prefix: `${tier}${++n}`, ...opts });
  };
  afterEach(async () => {
    await factory?.closeAll();
  });

  it("misses, then hits L1, and another process hits L2", async () => {
    const a = await fresh();
    let loads = 0;
    const loader = async () => ({ n: ++loads });
    expect(await a.fetch("k", loader)).toMatchObject({ value: { n: 1 }, status: "miss", stored: true });
    expect(await a.fetch("k", loader)).toMatchObject({ value: { n: 1 }, status: "hit", layer: "l1" });
    const b = await factory.make({ prefix: `${tier}${n}` });
    expect(await b.fetch("k", loader)).toMatchObject({ value: { n: 1 }, status: "hit", layer: "l2" });
    expect(loads).toBe(1);
    expect(a.stats).toMatchObject({ miss: 1, hit_l1: 1, loads: 1 });
  });

  it("expires after the TTL", async () => {
    const a = await fresh({ defaults: { ttl: 40 } });
    let loads = 0;
    await a.getOrLoad("k", async () => ++loads);
    await sleep(60);
    expect(await a.getOrLoad("k", async () => ++loads)).toBe(2);
  });

  it("invalidates a key in every process", async () => {
    const a = await fresh();
    const b = await factory.make({ prefix: `${tier}${n}` });
    let v = 1;
    const loader = async () => v;
    await a.getOrLoad("k", loader);
    await b.getOrLoad("k", loader);
    v = 2;
    await a.invalidate(["k"]);
    expect(await a.getOrLoad("k", loader)).toBe(2);
    await sleep(20);
    expect(await b.getOrLoad("k", loader)).toBe(2);
    expect(a.stats.invalidations_key).toBe(1);
  });

  it("invalidates by tag, leaving other tags alone", async () => {
    const a = await fresh();
    const b = await factory.make({ prefix: `${tier}${n}` });
    let gen = 1;
    const loader = async () => gen;
    await a.getOrLoad("p1", loader, { tags: ["products", "cat:gears"] });
    await a.getOrLoad("p2", loader, { tags: ["products", "cat:tools"] });
    await a.getOrLoad("c1", loader, { tags: ["customers"] });
    await b.getOrLoad("p1", loader, { tags: ["products", "cat:gears"] });
    gen = 2;
    await a.invalidateTags(["cat:gears"]);
    expect(await a.getOrLoad("p1", loader, { tags: ["products", "cat:gears"] })).toBe(2);
    expect(await a.getOrLoad("p2", loader, { tags: ["products", "cat:tools"] })).toBe(1);
    await sleep(20);
    expect(await b.getOrLoad("p1", loader, { tags: ["products", "cat:gears"] })).toBe(2);
    gen = 3;
    await b.invalidateTags(["products"]);
    await sleep(20);
    expect(await a.getOrLoad("p2", loader, { tags: ["products", "cat:tools"] })).toBe(3);
    expect(await a.getOrLoad("c1", loader, { tags: ["customers"] })).toBe(1);
  });

  it("caches not-found briefly when asked to, and never by default", async () => {
    const a = await fresh();
    let loads = 0;
    const missing = async () => {
      loads++;
      return null;
    };
    await a.getOrLoad("gone", missing);
    await a.getOrLoad("gone", missing);
    expect(loads).toBe(2);
    expect(await a.fetch("gone2", missing, { negativeTtl: 50 })).toMatchObject({ value: null, status: "miss" });
    expect(await a.fetch("gone2", missing, { negativeTtl: 50 })).toMatchObject({ value: null, status: "hit" });
    expect(loads).toBe(3);
    await sleep(70);
    await a.getOrLoad("gone2", missing, { negativeTtl: 50 });
    expect(loads).toBe(4);
  });

  it("never caches an error, and serves a stale value inside its window when the loader fails", async () => {
    const a = await fresh({ defaults: { ttl: 30, staleWindow: 5000 } });
    await expect(a.getOrLoad("e", async () => Promise.reject(new Error("db down")))).rejects.toThrow("db down");
    expect(await a.getOrLoad("e", async () => "ok")).toBe("ok");
    await sleep(50);
    const res = await a.fetch("e", async () => Promise.reject(new Error("db down")));
    expect(res).toMatchObject({ value: "ok", status: "stale" });
    expect(a.stats.stale).toBe(1);
    expect(a.stats.load_errors).toBe(2);
    const noWindow = await fresh({ defaults: { ttl: 30 } });
    await noWindow.getOrLoad("e", async () => "ok");
    await sleep(50);
    await expect(noWindow.getOrLoad("e", async () => Promise.reject(new Error("db down")))).rejects.toThrow("db down");
  });

  it("soft timeout: answers stale at once and the slow load still lands", async () => {
    const a = await fresh({ defaults: { ttl: 30, staleWindow: 5000 } });
    await a.getOrLoad("s", async () => "v1");
    await sleep(50);
    const slow = deferred<string>();
    const started = Date.now();
    const res = await a.fetch("s", () => slow.promise, { softTimeout: 20, ttl: 5000 });
    expect(res).toMatchObject({ value: "v1", status: "stale" });
    expect(Date.now() - started).toBeLessThan(1000);
    slow.resolve("v2");
    await sleep(30);
    expect(await a.fetch("s", async () => "v3")).toMatchObject({ value: "v2", status: "hit" });
  });

  it("hard timeout: aborts the loader and fails without a stale value", async () => {
    const a = await fresh();
    let aborted = false;
    const err = await a
      .getOrLoad(
        "h",
        ({ signal }) => {
          signal.addEventListener("abort", () => {
            aborted = true;
          });
          return new Promise(() => {});
        },
        { hardTimeout: 30 },
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(LoaderTimeoutError);
    expect((err as LoaderTimeoutError).code).toBe("loader_timeout");
    expect(aborted).toBe(true);
    expect(await a.getOrLoad("h", async () => "later")).toBe("later");
  });

  it("refresh-ahead reloads in the background before expiry, while requests keep hitting", async () => {
    let t = 1_000_000;
    const a = await fresh({ now: () => t, random: () => 0.0001, defaults: { ttl: 1000, refreshAhead: 1 } });
    let v = 1;
    const loader = async () => {
      t += 100;
      return v;
    };
    await a.getOrLoad("r", loader);
    v = 2;
    t += 500;
    expect(await a.fetch("r", loader)).toMatchObject({ value: 1, status: "hit" });
    await sleep(20);
    expect(a.stats.loads).toBe(2);
    expect(await a.fetch("r", loader)).toMatchObject({ value: 2, status: "hit", layer: "l1" });
  });

  it("write-through: set replaces the value everywhere and beats a slow fill", async () => {
    const a = await fresh();
    const b = await factory.make({ prefix: `${tier}${n}` });
    await a.getOrLoad("w", async () => "old");
    await b.getOrLoad("w", async () => "old");
    const held = deferred<string>();
    const slow = b.getOrLoad("w2", () => held.promise);
    await a.set("w", "new");
    await a.set("w2", "new");
    held.resolve("old");
    await slow;
    await sleep(20);
    expect(await b.getOrLoad("w", async () => "loader")).toBe("new");
    expect(await b.getOrLoad("w2", async () => "loader")).toBe("new");
    expect(await a.getOrLoad("w2", async () => "loader")).toBe("new");
  });

  it("stores Buffers as they are", async () => {
    const a = await fresh();
    const b = await factory.make({ prefix: `${tier}${n}` });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255, 10, 13]);
    await a.getOrLoad("bin", async () => png);
    const got = await b.getOrLoad<Buffer>("bin", async () => Buffer.alloc(0));
    expect(Buffer.isBuffer(got)).toBe(true);
    expect(got.equals(png)).toBe(true);
  });

  it("hashes keys from user input, so any string is a safe key", async () => {
    const a = await fresh();
    const weird = "products?q=gear }{ \n *\u0000 ünïcode";
    await a.getOrLoad(weird, async () => "x");
    expect(await a.fetch(weird, async () => "y")).toMatchObject({ value: "x", status: "hit" });
    expect(await a.getOrLoad("products?q=gear", async () => "z")).toBe("z");
  });

  it("invalidates keys and tags together, in every process", async () => {
    const a = await fresh();
    const b = await factory.make({ prefix: `${tier}${n}` });
    let gen = 1;
    const loader = async () => gen;
    for (const p of [a, b]) {
      await p.getOrLoad("order:1", loader);
      await p.getOrLoad("list:1", loader, { tags: ["lists"] });
      await p.getOrLoad("other", loader);
    }
    gen = 2;
    await a.invalidate({ keys: ["order:1"], tags: ["lists"] });
    expect(a.stats).toMatchObject({ invalidations_key: 1, invalidations_tag: 1 });
    await sleep(20);
    for (const p of [a, b]) {
      expect(await p.getOrLoad("order:1", loader)).toBe(2);
      expect(await p.getOrLoad("list:1", loader, { tags: ["lists"] })).toBe(2);
      expect(await p.getOrLoad("other", loader)).toBe(1);
    }
    await a.invalidate({});
    expect(a.stats.invalidations_key).toBe(1);
  });

  it("collapses concurrent misses in one process into one load", async () => {
    const a = await fresh();
    let loads = 0;
    const gate = deferred();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        if (i === 99) gate.resolve();
        return a.fetch("hot", async () => {
          loads++;
          await gate.promise;
          await tick();
          return "v";
        });
      }),
    );
    expect(loads).toBe(1);
    expect(results.filter((r) => r.collapsed)).toHaveLength(99);
  });
});

describe("Cache switched off and L1-only", () => {
  it("CACHE=off runs the loader every time and counts bypasses", async () => {
    const off = new Cache({ name: "off", enabled: false });
    let loads = 0;
    await off.getOrLoad("k", async () => ++loads);
    expect(await off.fetch("k", async () => ++loads)).toMatchObject({ value: 2, status: "bypass" });
    await off.invalidate(["k"]);
    expect(off.stats.bypass).toBe(2);
  });

  it("works without L2", async () => {
    const local = new Cache({ name: "local" });
    await local.connect();
    let v = 1;
    await local.getOrLoad("k", async () => v, { tags: ["t"] });
    v = 2;
    expect(await local.getOrLoad("k", async () => v, { tags: ["t"] })).toBe(1);
    await local.invalidateTags(["t"]);
    expect(await local.getOrLoad("k", async () => v, { tags: ["t"] })).toBe(2);
    await local.set("w", "written");
    expect(await local.fetch("w", async () => "loaded")).toMatchObject({ value: "written", layer: "l1" });
    expect(local.l1Usage?.entries).toBe(2);
    expect(local.breakerState).toBe("closed");
    await local.close();
  });

  it("a switched-off cache has no L1 to report and closes the driver it was given", async () => {
    const store = new MemoryL2Store();
    const off = new Cache({ name: "off", enabled: false, l2: createMemoryL2(store, new KeySpace("off")) });
    await off.connect();
    await off.set("k", 1);
    expect(await off.fetch("k", async () => 2)).toMatchObject({ value: 2, status: "bypass" });
    await off.close();
  });
});
