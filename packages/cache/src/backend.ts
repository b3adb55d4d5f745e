import { Cache } from "./cache.ts";
import { KeySpace } from "./keys.ts";
import type { L2Connection, L2Driver } from "./l2-driver.ts";
import { createMemoryConnection, createMemoryL2, type MemoryL2Store } from "./memory-l2.ts";
import { connectRedis, type RedisClient, type RedisConnectionOptions, waitUntilReady } from "./redis-connection.ts";
import { createRedisConnection, redisKeySpace } from "./redis-l2.ts";
import { RemoteTier, type RemoteTierOptions, type TierHealth } from "./remote-tier.ts";
import type { CacheOptions } from "./types.ts";

export interface CacheBackendOptions extends RemoteTierOptions {
  /** Prefix of the backend's own channels (the heartbeat's); the deployment's namespace. Default `cache`. */
  namespace?: string;
}

/** A cache of a backend: everything but the tier, which is the backend's. */
export type BackendCacheOptions = Omit<CacheOptions, "l2" | "remote" | keyof RemoteTierOptions>;

/**
 * The caches of one process on one connection (a Redis pair, or an in-process store): they share its
 * remote tier, so one breaker, one heartbeat, one journal and one health. Build it once per process
 * (`connectCacheBackend`) and make every cache from it.
 */
export class CacheBackend {
  readonly tier: RemoteTier;
  readonly #caches = new Set<Cache>();
  /** Every key space a cache of this backend reads, for the fence after a master change. */
  readonly #drivers = new Set<L2Driver>();
  readonly #stopWatching: (() => void) | undefined;

  constructor(
    readonly connection: L2Connection,
    private readonly driverFor: (keys: KeySpace) => L2Driver,
    opts: RemoteTierOptions = {},
    /** The command connection when on Redis, for other shared counters (upload rate limits). */
    readonly redis?: RedisClient,
  ) {
    this.tier = new RemoteTier(connection, opts);
    // A new master may lack invalidations the old one acknowledged (replication is asynchronous), and
    // nobody knows which: every key space is fenced, so entries loaded before the change are misses.
    this.#stopWatching = connection.watchMaster?.({
      unsure: () => this.tier.holdUntilMasterKnown(),
      settled: (changed) => {
        if (changed) this.tier.fence(this.#drivers);
        this.tier.masterKnown();
      },
    });
  }

  /** Joins the heartbeat's channel and starts beating; resolves once the bus is confirmed or after the deadline. */
  start(): Promise<void> {
    return this.tier.start();
  }

  /** The connection's breaker, bus and pending invalidations, for /health. */
  get health(): TierHealth {
    return this.tier.health;
  }

  /** A connected cache on the key space `prefix` (default: its name). */
  async createCache(options: BackendCacheOptions): Promise<Cache> {
    const keys = new KeySpace(options.prefix ?? options.name);
    const driver = this.driverFor(keys);
    const cache = new Cache({ ...options, remote: { tier: this.tier, driver } });
    await cache.connect();
    this.#caches.add(cache);
    this.#drivers.add(driver);
    return cache;
  }

  /** Closes the caches it made, stops the heartbeat and closes the connection. */
  async close(): Promise<void> {
    await Promise.all([...this.#caches].map((c) => c.close()));
    this.#caches.clear();
    this.#drivers.clear();
    this.#stopWatching?.();
    this.tier.close();
    await this.connection.close();
  }
}

/** A backend on two Redis connections already made; with `ownsConnections: false`, `close` leaves them open. */
export function createRedisBackend(
  client: RedisClient,
  subscriber: RedisClient,
  opts: CacheBackendOptions & { ownsConnections?: boolean } = {},
): CacheBackend {
  const namespace = opts.namespace ?? "cache";
  const connection = createRedisConnection(client, subscriber, { namespace, ownsConnections: opts.ownsConnections });
  return new CacheBackend(
    connection,
    (keys) => redisKeySpace(connection, keys, { closesConnection: false }),
    opts,
    client,
  );
}

/** A backend on an in-process store (the embedded default); its bus cannot go silent, so it has no heartbeat. */
export function createMemoryBackend(store: MemoryL2Store, opts: CacheBackendOptions = {}): CacheBackend {
  const connection = createMemoryConnection(store, opts.namespace ?? "cache");
  return new CacheBackend(connection, (keys) => createMemoryL2(store, keys, connection), opts);
}

export interface ConnectCacheBackendOptions extends RedisConnectionOptions, CacheBackendOptions {
  /** How long to wait for both connections, in ms (default 5000). */
  readyTimeoutMs?: number;
  /**
   * Redis not ready in time. Without this, `connectCacheBackend` closes the connections and throws; with
   * it, the error is reported here and the backend returned anyway: its caches bypass Redis until it
   * answers, and recover by themselves.
   */
  onUnready?: (err: Error) => void;
}

/**
 * The one setup of a Redis backend: the command connection and the bus's subscriber, both ready, the
 * shared tier and its heartbeat started. Then `backend.createCache({ name, prefix })` per cache.
 */
export async function connectCacheBackend(opts: ConnectCacheBackendOptions): Promise<CacheBackend> {
  const client = connectRedis(opts);
  const subscriber = connectRedis(opts);
  const timeout = opts.readyTimeoutMs ?? 5000;
  try {
    await Promise.all([waitUntilReady(client, timeout), waitUntilReady(subscriber, timeout)]);
  } catch (err) {
    if (!opts.onUnready) {
      client.disconnect();
      subscriber.disconnect();
      throw err;
    }
    opts.onUnready(err as Error);
  }
  const backend = createRedisBackend(client, subscriber, opts);
  await backend.start();
  return backend;
}
