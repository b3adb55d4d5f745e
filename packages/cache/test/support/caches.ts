import { afterAll, afterEach, beforeAll } from "vitest";
import { type CacheBackend, connectCacheBackend, createMemoryBackend } from "../../src/backend.ts";
import type { Cache } from "../../src/cache.ts";
import { MemoryL2Store } from "../../src/memory-l2.ts";
import type { RedisConnectionOptions } from "../../src/redis-connection.ts";
import type { RemoteTierOptions } from "../../src/remote-tier.ts";
import type { CacheOptions } from "../../src/types.ts";
import { type RedisKind, type RedisTarget, startRedisTarget } from "./redis-targets.ts";

export { seededRandom } from "./random.ts";

export type Tier = "redis" | "memory";

export type MakeOptions = Partial<CacheOptions> & { prefix?: string; url?: string; commandTimeoutMs?: number };

/** Where a factory's caches find Redis: a standalone URL, a cluster's nodes or a sentinel group. */
type RedisAt = string | Pick<RedisConnectionOptions, "url" | "clusterNodes" | "sentinel">;

/** Splits a test's options into the backend's (its connections and tier) and the cache's. */
function split(opts: MakeOptions) {
  const { breaker, heartbeat, maxPendingInvalidations, now, url, commandTimeoutMs, ...cache } = opts;
  const tier: RemoteTierOptions = { breaker, heartbeat, maxPendingInvalidations, now };
  return { tier, cache: { ...cache, now }, url, commandTimeoutMs: commandTimeoutMs ?? 300 };
}

/**
 * Makes connected caches over one shared L2 (a Redis URL or one in-process store), each on a backend of its
 * own, as separate processes would be: connections, breaker, heartbeat and journal of their own.
 */
export function cacheFactory(tier: Tier, redisAt?: RedisAt) {
  const at = typeof redisAt === "string" ? { url: redisAt } : redisAt;
  const store = new MemoryL2Store();
  const backends = new Map<Cache, CacheBackend>();
  const make = async (opts: MakeOptions = {}): Promise<Cache> => {
    const { tier: tierOpts, cache, url, commandTimeoutMs } = split(opts);
    const backend =
      tier === "redis"
        ? await connectCacheBackend({ ...(url ? { url } : at), commandTimeoutMs, ...tierOpts })
        : createMemoryBackend(store, tierOpts);
    const made = await backend.createCache({ name: "test", prefix: "t", ...cache });
    backends.set(made, backend);
    return made;
  };
  /** The backend a cache was made on (one per cache here). */
  const backendOf = (cache: Cache) => backends.get(cache) as CacheBackend;
  const closeAll = async () => {
    const all = [...backends.values()];
    backends.clear();
    await Promise.all(all.map((b) => b.close()));
  };
  return { make, backendOf, closeAll };
}

/**
 * A private Redis (a redis-server, or a cluster of six) for the test file or suite, and a cache factory
 * on it whose caches are closed after each test. Call at the top level of a test file or a describe.
 */
export function usePrivateRedis(kind: RedisKind = "standalone") {
  const state = {} as { redis: RedisTarget; factory: ReturnType<typeof cacheFactory> };
  beforeAll(async () => {
    state.redis = await startRedisTarget(kind);
    state.factory = cacheFactory("redis", state.redis.connection);
  }, 30_000);
  afterEach(() => state.factory.closeAll());
  afterAll(() => state.redis.stop());
  return state;
}

export const tick = () => new Promise((r) => setImmediate(r));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms until it holds, or fails after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await sleep(10);
  }
}

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
