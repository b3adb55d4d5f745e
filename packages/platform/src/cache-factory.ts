import {
  Cache,
  type CacheBackend,
  type CacheOptions,
  connectCacheBackend,
  createMemoryBackend,
  MemoryL2Store,
  type RedisClient,
  type RedisConnectionOptions,
  registerCacheMetrics,
  type TierHealth,
} from "@printfab/cache";
import { Registry } from "prom-client";
import type { Config } from "./config.ts";
import type { HealthCheck } from "./health.ts";
import type { Logger } from "./logger.ts";

/**
 * A named channel on the caches' connection: every process that joins it hears what any of them publishes
 * (Redis pub/sub, sharded on a Cluster; in process on the embedded store). Fire and forget: a message
 * published while a member's subscription is down is lost to that member, which `onState(false)` tells.
 */
export interface Channel {
  /** Rejects when the message could not be handed to the server. */
  publish(text: string): Promise<void>;
  /**
   * Delivers the channel's messages to `onMessage`; `onState(false)` when the subscription is lost
   * or the bus goes silent (messages may be missed from then on), `onState(true)` once both are back. Resolves once joined, or once the join failed. The returned function leaves.
   */
  join(onMessage: (text: string) => void, onState: (up: boolean) => void): Promise<() => void>;
}

export interface CacheFactory {
  readonly kind: "redis" | "memory" | "off";
  /** The command connection when caches are on Redis, for other shared counters (upload rate limits). */
  readonly redis?: RedisClient;
  /** The deployment's key namespace in Redis. */
  readonly namespace: string;
  /**
   * A cache named `name` (its metrics label) under the key prefix `prefix`. Caches of one prefix in
   * different processes share entries and evictions: the Shop, the CRM and MES all read orders through
   * MES's prefix, and MES's invalidation of an order reaches every one of them.
   */
  create(name: string, prefix: string, options?: CreateOptions): Promise<Cache>;
  /**
   * Redis's state for /health (not critical: the services answer from PostgreSQL without it). It fails when
   * Redis does not answer, when the breaker is not closed, or when the bus is silent (beats do not come
   * back: the connection may be half-open), so /health shows what makes the caches skip L1.
   */
  healthCheck(): HealthCheck | undefined;
  /** The shared tier's breaker, bus and pending invalidations; undefined when caches are off. */
  health(): TierHealth | undefined;
  /**
   * The channel `name` on the caches' connection, under the namespace. With CACHE=off it still crosses
   * processes when Redis is configured (a connection of its own, opened on first use), else stays in process.
   */
  channel(name: string): Channel;
  close(): Promise<void>;
}

export interface CacheFactoryOptions {
  /** The in-process store of the embedded default (no Redis); by default one of the factory's own. */
  memoryStore?: MemoryL2Store;
  /** Where the caches' metrics go; by default the platform's registry. */
  registry?: Registry;
}

/**
 * What a service may set per cache. `contentAddressed`: the key is the hash of what the value is computed
 * from, so it cannot go stale, and re-running its loader (a 3D analysis, a slice) to audit a hit would
 * only cost: its hits are not re-read (its invalidations, which never come, would still be checked).
 */
export type CreateOptions = Pick<CacheOptions, "defaults" | "l1MaxBytes"> & { contentAddressed?: boolean };

/**
 * Caches as the configuration says: off (CACHE=off: loaders run every time, counted as bypasses), on
 * Redis (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES; two connections and one breaker, heartbeat and
 * journal shared by all caches of the factory), or in process (the embedded default: one store shared by
 * the factory's caches). Build one factory per process and give it to every service of the process.
 */
export async function createCacheFactory(
  config: Config,
  logger: Logger,
  options: CacheFactoryOptions = {},
): Promise<CacheFactory> {
  const registry = options.registry ?? new Registry();
  const unregister: Array<() => void> = [];
  const register = (cache: Cache) => {
    unregister.push(registerCacheMetrics(cache, registry));
    cache.events.on("bus", ({ up }) => logger.debug({ cache: cache.name, up }, "cache L1 in use"));
    cache.events.on("consistency_violation", (v) => logger.warn(v, "cache consistency violation"));
    return cache;
  };
  const settings = (options?: CreateOptions) => ({
    l1MaxBytes: options?.l1MaxBytes ?? config.l1MaxBytes,
    defaults: options?.defaults,
    audit: options?.contentAddressed ? { ...config.cacheAudit, readRate: 0 } : config.cacheAudit,
  });
  const stopMetrics = () => {
    for (const u of unregister.splice(0)) u();
  };

  const channelName = (name: string) => `${config.cacheNamespace}:ch:${name}`;

  if (!config.cacheEnabled) {
    const channels = channelsWithoutCaches(config, logger);
    return {
      kind: "off",
      namespace: config.cacheNamespace,
      create: async (name, _prefix, o) => register(new Cache({ name, ...settings(o), enabled: false })),
      healthCheck: () => undefined,
      health: () => undefined,
      channel: (name) => channelOn(channels.backend, channelName(name)),
      close: async () => {
        stopMetrics();
        await channels.close();
      },
    };
  }

  const backend = config.redis
    ? await connectRedisBackend(config, logger)
    : createMemoryBackend(options.memoryStore ?? new MemoryL2Store(), { namespace: config.cacheNamespace });
  watchBackend(backend, logger);
  return {
    kind: config.redis ? "redis" : "memory",
    redis: backend.redis,
    namespace: config.cacheNamespace,
    create: async (name, prefix, o) =>
      register(await backend.createCache({ name, prefix: `${config.cacheNamespace}:${prefix}`, ...settings(o) })),
    healthCheck: () => (backend.redis ? redisHealthCheck(backend, backend.redis) : undefined),
    health: () => backend.health,
    channel: (name) => channelOn(async () => backend, channelName(name)),
    close: async () => {
      stopMetrics();
      await backend.close();
    },
  };
}

function connectRedisBackend(config: Config, logger: Logger): Promise<CacheBackend> {
  return connectCacheBackend({
    ...redisTarget(config.redis as NonNullable<Config["redis"]>),
    commandTimeoutMs: config.redisCommandTimeoutMs,
    namespace: config.cacheNamespace,
    onError: (err) => logger.debug({ err: err.message }, "redis connection error"),
    // Redis down at start is not an outage: caches start with the breaker's bypass and recover later.
    onUnready: (err) => logger.warn({ err: err.message }, "Redis not reachable at start; caches bypass it until it is"),
  });
}

/**
 * Channels with caching off: on a Redis backend of their own when Redis is configured (its heartbeat
 * finds a silent bus), opened on first use; else on an in-process store.
 */
function channelsWithoutCaches(config: Config, logger: Logger) {
  let backend: Promise<CacheBackend> | undefined;
  const open = () =>
    config.redis
      ? connectRedisBackend(config, logger)
      : Promise.resolve(createMemoryBackend(new MemoryL2Store(), { namespace: config.cacheNamespace }));
  return {
    backend: () => {
      backend ??= open();
      return backend;
    },
    close: async () => (await backend)?.close(),
  };
}

/**
 * A channel on a backend's connection. A member is up while its subscription is and the backend's bus is
 * confirmed: a half-open connection, or a command connection that cannot publish the beats, loses
 * messages before any subscription drops, and the heartbeat is what says so.
 */
function channelOn(backend: () => Promise<CacheBackend>, name: string): Channel {
  return {
    publish: async (text) => (await backend()).connection.publish(name, text),
    join: async (onMessage, onState) => {
      const { connection, tier } = await backend();
      let joined = false;
      let reported: boolean | undefined;
      const report = () => {
        const up = joined && tier.busConfirmed;
        if (up === reported) return;
        reported = up;
        onState(up);
      };
      tier.events.on("bus", report);
      const leave = await connection.join(name, onMessage, (up) => {
        joined = up;
        report();
      });
      return () => {
        tier.events.off("bus", report);
        leave();
      };
    },
  };
}

function redisTarget(r: NonNullable<Config["redis"]>): RedisConnectionOptions {
  if (r.kind === "standalone") return { url: r.url };
  if (r.kind === "cluster") return { clusterNodes: r.nodes };
  return { sentinel: { name: r.name, sentinels: r.sentinels } };
}

/** The connection's breaker and bus, logged once for all its caches. */
function watchBackend(backend: CacheBackend, logger: Logger) {
  backend.tier.events.on("breaker", ({ state }) => logger.warn({ state }, "cache circuit breaker"));
  backend.tier.events.on("bus", ({ confirmed }) => {
    if (confirmed) logger.debug("cache bus confirmed");
    else logger.warn("cache bus silent: L1 emptied and unused until beats come back");
  });
}

function redisHealthCheck(backend: CacheBackend, client: RedisClient): HealthCheck {
  return {
    name: "redis",
    critical: false,
    // What the connection already knows first: no need to wait on a PING to report a silent bus.
    check: async () => {
      const h = backend.health;
      if (h.bus === "silent") throw new Error("cache bus silent: heartbeats do not come back; L1 is off");
      if (h.breaker !== "closed") throw new Error(`cache circuit breaker ${h.breaker}`);
      await client.ping();
    },
  };
}
