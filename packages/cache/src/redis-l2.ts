import { Cluster } from "ioredis";
import type { KeySpace } from "./keys.ts";
import { type BusMessage, keySpaceBus, type L2Driver } from "./l2-driver.ts";
import { RedisL2Connection } from "./redis-bus.ts";
import type { RedisClient } from "./redis-connection.ts";

/** A key's version outlives its entries and any in-flight load by far, so a fill can always be judged. */
const VERSION_TTL_MS = 24 * 3600 * 1000;

const SCRIPTS = {
  // KEYS: data, version. ARGV: expected version, payload, ttl ms. Stores only if nothing invalidated the key.
  pfFill: {
    numberOfKeys: 2,
    lua: `local v = redis.call('GET', KEYS[2]) or '0'
if v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`,
  },
  // KEYS: data, version, lease. ARGV: expected version, payload, ttl ms, lease token, channel, message.
  // The fill, the release of the lease and the wake-up of its waiters in one round trip.
  pfFillRelease: {
    numberOfKeys: 3,
    lua: `local stored = 0
if (redis.call('GET', KEYS[2]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  stored = 1
end
if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return stored`,
  },
  // KEYS: data, version. ARGV: payload, ttl ms, version ttl ms.
  pfSet: {
    numberOfKeys: 2,
    lua: `redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  },
  // KEYS: data, version. ARGV: version ttl ms.
  pfInvalidate: {
    numberOfKeys: 2,
    lua: `redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1`,
  },
  // KEYS: data, lease. ARGV: token, ttl ms, '1' to report a value that is already there.
  pfLease: {
    numberOfKeys: 2,
    lua: `if ARGV[3] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 'filled' end
if redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then return 'acquired' end
return 'busy'`,
  },
  // KEYS: lease. ARGV: token.
  pfRelease: {
    numberOfKeys: 1,
    lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  },
} as const;

type ScriptClient = RedisClient & {
  pfFill(data: string, version: string, expected: string, payload: Buffer, ttl: number): Promise<number>;
  pfFillRelease(
    data: string,
    version: string,
    lease: string,
    expected: string,
    payload: Buffer,
    ttl: number,
    token: string,
    channel: string,
    message: string,
  ): Promise<number>;
  pfSet(data: string, version: string, payload: Buffer, ttl: number, versionTtl: number): Promise<number>;
  pfInvalidate(data: string, version: string, versionTtl: number): Promise<number>;
  pfRelease(lease: string, token: string): Promise<number>;
  pfLease(
    data: string,
    lease: string,
    token: string,
    ttl: number,
    unlessFilled: string,
  ): Promise<"acquired" | "busy" | "filled">;
};

/** A counter as Redis returns it (a string, a Buffer from MGET's binary form, or nothing). */
const toCount = (v: Buffer | string | null | undefined) => (v === null || v === undefined ? 0 : Number(String(v)));

/**
 * The two connections under key spaces: `createRedisL2` makes one per driver (the driver owns it), and a
 * `CacheBackend` makes one for all its caches, so they share its breaker, heartbeat and journal.
 */
export function createRedisConnection(
  client: RedisClient,
  subscriber: RedisClient,
  options: { namespace: string; ownsConnections?: boolean },
): RedisL2Connection {
  return new RedisL2Connection(client, subscriber, options.namespace, options.ownsConnections ?? true);
}

/**
 * L2 on Redis (standalone, Sentinel or Cluster) for one cache with connections of its own: entries,
 * versions, leases and the pub/sub bus. With `ownsConnections: false`, closing it leaves them open.
 * Caches that share connections come from a `CacheBackend` instead, which gives them one breaker.
 */
export function createRedisL2(
  client: RedisClient,
  subscriber: RedisClient,
  keys: KeySpace,
  options: { ownsConnections?: boolean } = {},
): L2Driver {
  const connection = createRedisConnection(client, subscriber, { namespace: keys.prefix, ...options });
  return redisKeySpace(connection, keys, { closesConnection: true });
}

/** One key space on a connection; `closesConnection` when the driver is the connection's only user. */
export function redisKeySpace(
  connection: RedisL2Connection,
  keys: KeySpace,
  options: { closesConnection: boolean },
): L2Driver {
  const client = connection.client;
  for (const [name, s] of Object.entries(SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  }
  const redis = client as ScriptClient;
  // One MGET reads the entry, the generation and the tags; on Cluster they live in two slots, so two commands.
  const cluster = client instanceof Cluster;
  const counters = (tags: readonly string[]) => [keys.generation, ...tags.map((t) => keys.tag(t))];

  return {
    keys,
    connection,
    ...keySpaceBus(connection, keys.channel),
    async read(key, tags) {
      let payload: Buffer | null;
      let counts: Array<Buffer | string | null>;
      if (cluster) [payload, counts] = await Promise.all([redis.getBuffer(keys.data(key)), redis.mget(counters(tags))]);
      else [payload = null, ...counts] = await redis.mgetBuffer([keys.data(key), ...counters(tags)]);
      return { payload, generation: toCount(counts[0]), tagVersions: counts.slice(1).map(toCount) };
    },
    async readVersion(key) {
      return (await redis.get(keys.version(key))) ?? "0";
    },
    async readVersions(tags) {
      const counts = await redis.mget(counters(tags));
      return { generation: toCount(counts[0]), tagVersions: counts.slice(1).map(toCount) };
    },
    async fill(key, expectedVersion, payload, ttlMs, leaseToken, from) {
      const ttl = Math.max(1, Math.ceil(ttlMs));
      const stored = leaseToken
        ? await redis.pfFillRelease(
            keys.data(key),
            keys.version(key),
            keys.lease(key),
            expectedVersion,
            payload,
            ttl,
            leaseToken,
            keys.channel,
            JSON.stringify({ from: from ?? "", filled: key } satisfies BusMessage),
          )
        : await redis.pfFill(keys.data(key), keys.version(key), expectedVersion, payload, ttl);
      return stored === 1;
    },
    async set(key, payload, ttlMs) {
      await redis.pfSet(keys.data(key), keys.version(key), payload, Math.max(1, Math.ceil(ttlMs)), VERSION_TTL_MS);
    },
    async invalidate(list) {
      await Promise.all(list.map((k) => redis.pfInvalidate(keys.data(k), keys.version(k), VERSION_TTL_MS)));
    },
    async bumpTags(tags) {
      await Promise.all(tags.map((t) => redis.incr(keys.tag(t))));
    },
    async bumpGeneration() {
      await redis.incr(keys.generation);
    },
    async acquireLease(key, token, ttlMs, unlessFilled) {
      return redis.pfLease(
        keys.data(key),
        keys.lease(key),
        token,
        Math.max(1, Math.ceil(ttlMs)),
        unlessFilled ? "1" : "0",
      );
    },
    async releaseLease(key, token) {
      await redis.pfRelease(keys.lease(key), token);
    },
    async close() {
      if (options.closesConnection) await connection.close();
    },
  };
}
