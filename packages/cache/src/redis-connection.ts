import { Cluster, Redis, type RedisOptions } from "ioredis";

export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** `redis://host:port/db`, for a standalone server. */
  url?: string;
  /** Sentinel: the master's name and the sentinels. */
  sentinel?: { name: string; sentinels: Array<{ host: string; port: number }>; password?: string };
  /** Cluster: the seed nodes. */
  clusterNodes?: Array<{ host: string; port: number }>;
  /** Deadline of every command; past it the call fails and counts against the circuit breaker. */
  commandTimeoutMs?: number;
  /**
   * TCP keepalive's first probe after this much idleness (ms): a peer that vanished without FIN is found
   * by the kernel even on a connection with nothing to send (the subscriber). Default 5000.
   */
  keepAliveMs?: number;
  /**
   * With commands waiting and no byte received for this long (ms), the connection is dropped and made
   * again: a half-open command connection would otherwise time out command after command. Default 2000.
   */
  socketTimeoutMs?: number;
  /** Connection errors (refused, reset); the client reconnects by itself. Default: ignored. */
  onError?: (err: Error) => void;
}

/**
 * A connection that fails fast: a command times out after a short deadline, and while the connection is
 * down commands fail at once instead of piling up in an offline queue. It reconnects in the background,
 * and drops a connection that went silent (keepalive, socket timeout) so that it can.
 */
export function connectRedis(opts: RedisConnectionOptions): RedisClient {
  const client = createClient(opts);
  client.on("error", opts.onError ?? (() => {}));
  return client;
}

const reconnectDelay = (times: number) => Math.min(25 * 2 ** Math.min(times, 6), 100);

function createClient(opts: RedisConnectionOptions): RedisClient {
  const common: RedisOptions = {
    commandTimeout: opts.commandTimeoutMs ?? 250,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false,
    lazyConnect: false,
    connectTimeout: 1000,
    keepAlive: opts.keepAliveMs ?? 5000,
    socketTimeout: opts.socketTimeoutMs ?? 2000,
    // Soon and often: a reset connection (a failover, a proxy) is usually back at once, and invalidations
    // owed by this process are replayed only once it is: every 100 ms of backoff is 100 ms of stale reads
    // elsewhere. A connection attempt on a LAN costs next to nothing.
    retryStrategy: reconnectDelay,
  };
  if (opts.clusterNodes?.length) {
    return new Cluster(opts.clusterNodes, {
      redisOptions: common,
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelay,
    });
  }
  if (opts.sentinel) {
    return new Redis({
      ...common,
      sentinels: opts.sentinel.sentinels,
      name: opts.sentinel.name,
      password: opts.sentinel.password,
    });
  }
  if (!opts.url) throw new Error("Redis needs a url, a sentinel setting or cluster nodes");
  return new Redis(opts.url, common);
}

/** Resolves once the client is ready, or rejects after the deadline. */
export function waitUntilReady(client: RedisClient, timeoutMs = 5000): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      reject(new Error(`Redis not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once("ready", onReady);
  });
}
