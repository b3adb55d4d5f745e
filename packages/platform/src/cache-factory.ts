import {
  Cache,
  type CacheOptions,
  connectRedis,
  createMemoryL2,
  createRedisL2,
  KeySpace,
  MemoryL2Store,
  type RedisClient,
  registerCacheMetrics,
  waitUntilReady,
} from "@printfab/cache";
import type { Config } from "./config.ts";
import type { HealthCheck } from "./health.ts";
import type { Logger } from "./logger.ts";

export interface CacheFactory {
  readonly kind: "redis" | "memory" | "off";
  /** The command connection when caches are on Redis, for other shared counters (upload rate limits). */
  readonly redis?: RedisClient;
  /** The deployment's key namespace in Redis. */
  readonly namespace: string;
  /**
   * A cache named `name` (its metrics label) under the key prefix `prefix`. Caches of one prefix in
   * different processes share entries and evictions: the outbox relay invalidates the Shop's order cache
   * by opening a cache of the Shop's prefix.
   */
  create(name: string, prefix: string, options?: Pick<CacheOptions, "defaults" | "l1MaxBytes">): Promise<Cache>;
  /** Redis's state for /health (not critical: the services answer from PostgreSQL without it). */
  healthCheck(): HealthCheck | undefined;
  close(): Promise<void>;
}

/** One store for every cache of a process that runs on the embedded default (no REDIS_URL). */
let embeddedStore: MemoryL2Store | undefined;

/**
 * Caches as the configuration says: off (CACHE=off: loaders run every time, counted as bypasses), on
 * Redis (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES; two connections shared by all caches of the
 * process), or in process (the embedded default, one store shared by the services of the process).
 */
export async function createCacheFactory(config: Config, logger: Logger): Promise<CacheFactory> {
  const made: Cache[] = [];
  const register = async (cache: Cache) => {
    registerCacheMetrics(cache);
    cache.events.on("breaker", ({ state }) => logger.warn({ cache: cache.name, state }, "cache circuit breaker"));
    cache.events.on("bus", ({ up }) => {
      if (up) logger.debug({ cache: cache.name }, "cache bus connected");
      else logger.warn({ cache: cache.name }, "cache bus lost: L1 emptied and unused until it is back");
    });
    await cache.connect();
    made.push(cache);
    return cache;
  };
  const base = (name: string, options?: Pick<CacheOptions, "defaults" | "l1MaxBytes">) => ({
    name,
    l1MaxBytes: options?.l1MaxBytes ?? config.l1MaxBytes,
    defaults: options?.defaults,
  });

  if (!config.cacheEnabled) {
    return {
      kind: "off",
      namespace: config.cacheNamespace,
      create: async (name, _prefix, options) => register(new Cache({ ...base(name, options), enabled: false })),
      healthCheck: () => undefined,
      close: async () => {},
    };
  }

  if (!config.redis) {
    embeddedStore ??= new MemoryL2Store();
    const store = embeddedStore;
    return {
      kind: "memory",
      namespace: config.cacheNamespace,
      create: async (name, prefix, options) =>
        register(
          new Cache({
            ...base(name, options),
            l2: createMemoryL2(store, new KeySpace(`${config.cacheNamespace}:${prefix}`)),
          }),
        ),
      healthCheck: () => undefined,
      close: async () => {
        await Promise.all(made.map((c) => c.close()));
      },
    };
  }

  const r = config.redis;
  const connect = (): RedisClient =>
    connectRedis({
      commandTimeoutMs: config.redisCommandTimeoutMs,
      onError: (err) => logger.debug({ err: err.message }, "redis connection error"),
      ...(r.kind === "standalone"
        ? { url: r.url }
        : r.kind === "cluster"
          ? { clusterNodes: r.nodes }
          : { sentinel: { name: r.name, sentinels: r.sentinels } }),
    });
  const client = connect();
  const subscriber = connect();
  try {
    await Promise.all([waitUntilReady(client), waitUntilReady(subscriber)]);
  } catch (err) {
    // Redis down at start is not an outage: caches start with the breaker's bypass and recover later.
    logger.warn({ err: (err as Error).message }, "Redis not reachable at start; caches bypass it until it is");
  }
  return {
    kind: "redis",
    redis: client,
    namespace: config.cacheNamespace,
    create: async (name, prefix, options) =>
      register(
        new Cache({
          ...base(name, options),
          l2: createRedisL2(client, subscriber, new KeySpace(`${config.cacheNamespace}:${prefix}`), {
            ownsConnections: false,
          }),
        }),
      ),
    healthCheck: () => ({
      name: "redis",
      critical: false,
      check: async () => {
        await client.ping();
      },
    }),
    close: async () => {
      await Promise.all(made.map((c) => c.close()));
      subscriber.disconnect();
      client.disconnect();
    },
  };
}
