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
  if (client instanceof Redis) reviveAfterInterruptedConnect(client);
  return client;
}

/**
 * ioredis gives up for good ("end") when a connection attempt is interrupted: a reconnect asked while it
 * was still resolving the master (the Sentinel failover detector's +switch-master, the heartbeat's
 * resetSubscriber) makes the attempt throw, and no retry follows. Seen in the Sentinel kill -9 test: the
 * subscriber stayed "end" and the bus never came back. Only `disconnect()` and `quit()` end a connection here.
 */
function reviveAfterInterruptedConnect(client: Redis): void {
  let closed = false;
  const disconnect = client.disconnect.bind(client);
  client.disconnect = (reconnect = false) => {
    if (!reconnect) closed = true;
    disconnect(reconnect);
  };
  const quit = client.quit.bind(client);
  client.quit = (callback?: Parameters<Redis["quit"]>[0]) => {
    closed = true;
    return quit(callback);
  };
  client.on("end", () => {
    if (closed) return;
    setTimeout(() => {
      if (!closed && client.status === "end") client.connect().catch(() => undefined);
    }, reconnectDelay(1)).unref();
  });
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
      // The bus's sharded pub/sub (redis-bus.ts): ioredis keeps a subscriber connection per master.
      shardedSubscribers: true,
      // A graceful failover (CLUSTER FAILOVER) may fail no command of this client, so nothing else makes
      // ioredis re-read the slot map, and the bus did not see its channel's slot move to another master
      // (failover.test.ts, about one run in two): read it every second, one CLUSTER SLOTS per connection.
      slotsRefreshInterval: 1000,
    });
  }
  if (opts.sentinel) {
    return new Redis({
      ...common,
      sentinels: opts.sentinel.sentinels,
      name: opts.sentinel.name,
      password: opts.sentinel.password,
      // A master demoted by SENTINEL FAILOVER keeps its clients: without these, both connections would
      // stay on a replica (writes refused READONLY, reads of a copy). The detector listens to the
      // sentinels' +switch-master and reconnects at once; a READONLY answer reconnects too, to whatever
      // master the sentinels name then.
      failoverDetector: true,
      reconnectOnError: (err) => err.message.startsWith("READONLY"),
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
