import { afterAll, afterEach, beforeAll } from "vitest";
import { Cache, type CacheOptions } from "../../src/cache.ts";
import { KeySpace } from "../../src/keys.ts";
import { createMemoryL2, MemoryL2Store } from "../../src/memory-l2.ts";
import { connectRedis, waitUntilReady } from "../../src/redis-connection.ts";
import { createRedisL2 } from "../../src/redis-l2.ts";
import { type RedisServer, startRedisServer } from "./redis-server.ts";

export type Tier = "redis" | "memory";

/** Makes connected caches over one shared L2 (a Redis URL or one in-process store), as separate processes would. */
export function cacheFactory(tier: Tier, redisUrl?: string) {
  const store = new MemoryL2Store();
  const made: Cache[] = [];
  const make = async (opts: Partial<CacheOptions> & { prefix?: string } = {}) => {
    const keys = new KeySpace(opts.prefix ?? "t");
    let l2: CacheOptions["l2"];
    if (tier === "redis") {
      const client = connectRedis({ url: redisUrl as string, commandTimeoutMs: 300 });
      const sub = connectRedis({ url: redisUrl as string, commandTimeoutMs: 300 });
      await Promise.all([waitUntilReady(client), waitUntilReady(sub)]);
      l2 = createRedisL2(client, sub, keys);
    } else {
      l2 = createMemoryL2(store, keys);
    }
    const cache = new Cache({ name: "test", l2, ...opts });
    await cache.connect();
    made.push(cache);
    return cache;
  };
  const closeAll = async () => {
    await Promise.all(made.splice(0).map((c) => c.close()));
  };
  return { make, closeAll };
}

/**
 * A private redis-server for the test file, and a cache factory on it whose caches are closed after each
 * test. Call at the top level of a test file.
 */
export function usePrivateRedis() {
  const state = {} as { redis: RedisServer; factory: ReturnType<typeof cacheFactory> };
  beforeAll(async () => {
    state.redis = await startRedisServer();
    state.factory = cacheFactory("redis", state.redis.url);
  });
  afterEach(() => state.factory.closeAll());
  afterAll(() => state.redis.stop());
  return state;
}

export const tick = () => new Promise((r) => setImmediate(r));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A promise with its resolve/reject outside, for holding a loader mid-flight. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
