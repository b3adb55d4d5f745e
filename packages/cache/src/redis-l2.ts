import { createHash } from "node:crypto";
import { Cluster } from "ioredis";
import type { KeySpace } from "./keys.ts";
import { type BusMessage, keySpaceBus, type L2Driver, type L2Read } from "./l2-driver.ts";
import { RedisL2Connection } from "./redis-bus.ts";
import type { RedisClient } from "./redis-connection.ts";

/** A key's version outlives its entries and any in-flight load by far, so a fill can always be judged. */
const VERSION_TTL_MS = 24 * 3600 * 1000;

const SCRIPTS = {
  // KEYS: data, version, lease, waiters, then (standalone) the generation and tag counters. ARGV: lease
  // token, lease ttl ms. The entry and the counters; when the key holds nothing, also its version and the
  // lease taken (or a waiter's mark left), so that a miss costs two round trips: this read, and the fill.
  pfRead: script(`local out = {redis.call('GET', KEYS[1]) or false, false, false}
if not out[1] then
  out[2] = redis.call('GET', KEYS[2]) or '0'
  if redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2], 'NX') then out[3] = 'acquired'
  else redis.call('SET', KEYS[4], '1', 'PX', ARGV[2], 'NX') out[3] = 'busy' end
end
if #KEYS > 4 then
  local c = redis.call('MGET', unpack(KEYS, 5))
  for i = 1, #c do out[3 + i] = c[i] or false end
end
return out`),
  // KEYS: version, lease, waiters. ARGV: token, ttl ms. The lease of a key whose entry is unusable.
  pfLease: script(`local v = redis.call('GET', KEYS[1]) or '0'
if redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then return {v, 'acquired'} end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2], 'NX')
return {v, 'busy'}`),
  // KEYS: data, version. ARGV: expected version, payload, ttl ms. Stores only if nothing invalidated the key.
  pfFill: script(`local v = redis.call('GET', KEYS[2]) or '0'
if v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`),
  // KEYS: data, version, lease, waiters. ARGV: expected version, payload, ttl ms, lease token, channel,
  // message. The fill, the release of the lease and the wake-up of its waiters (if any) in one round trip.
  // Returns {stored, woke}. An empty channel publishes nothing: on a Cluster the bus's channel is a
  // sharded one in another slot, which a script may not touch; the caller publishes when `woke`.
  pfFillRelease: script(`local stored = 0
if (redis.call('GET', KEYS[2]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  stored = 1
end
if redis.call('GET', KEYS[3]) == ARGV[4] then redis.call('DEL', KEYS[3]) end
local woke = redis.call('DEL', KEYS[4])
if woke == 1 and ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
return {stored, woke}`),
  // KEYS: data, version. ARGV: payload, ttl ms, version ttl ms.
  pfSet: script(`redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`),
  // KEYS: data, version. ARGV: version ttl ms.
  pfInvalidate: script(`redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1`),
  // KEYS: lease, waiters. ARGV: token, channel, message. Returns woke, as pfFillRelease does.
  pfRelease: script(`if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
local woke = redis.call('DEL', KEYS[2])
if woke == 1 and ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return woke`),
};

type Reply = Array<Buffer | null>;

interface Script {
  lua: string;
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

/**
 * Runs a script by its SHA-1, and by its text when the server does not know it yet (NOSCRIPT: a new or
 * restarted server, or another Cluster node), which loads it there too. Written here rather than taken
 * from ioredis' `defineCommand`, whose wrapper costs a closure and a copy of the arguments per call: about
 * a tenth of a cache hit's CPU (bench/reports/cache.md).
 */
function runScript(client: RedisClient, s: Script, keys: string[], args: Array<string | number | Buffer>) {
  return client.callBuffer("evalsha", s.sha, keys.length, ...keys, ...args).catch((err: Error) => {
    if (!err.message.includes("NOSCRIPT")) throw err;
    return client.callBuffer("eval", s.lua, keys.length, ...keys, ...args);
  }) as Promise<unknown>;
}

const preloaded = new WeakSet<RedisClient>();

/**
 * Loads the scripts whenever the client (re)connects, a failover's new master included, so that the first
 * miss after it costs its two round trips rather than four (an EVALSHA refused, then the EVAL).
 */
function preloadScripts(client: RedisClient): void {
  if (preloaded.has(client)) return;
  preloaded.add(client);
  const load = () => {
    for (const s of Object.values(SCRIPTS)) client.script("LOAD", s.lua).catch(() => undefined);
  };
  client.on("ready", load);
  if (client.status === "ready") load();
}

/** A counter as Redis returns it (a string, a Buffer from MGET's binary form, or nothing). */
const toCount = (v: Buffer | string | null | undefined) => (v === null || v === undefined ? 0 : Number(String(v)));

const filledMessage = (key: string, from: string | undefined) =>
  JSON.stringify({ from: from ?? "", filled: key } satisfies BusMessage);

/** An entry and the counters that follow it from `from` on (generation first, then the tags). */
function plainRead(payload: Buffer | null, counts: Array<Buffer | string | null>, from: number): L2Read {
  const read: L2Read = { payload, generation: toCount(counts[from]), tagVersions: [] };
  for (let i = from + 1; i < counts.length; i++) read.tagVersions.push(toCount(counts[i]));
  return read;
}

/** pfRead's reply: [entry, version, lease outcome] (the last two only for a lease taken), then counters. */
function toRead(reply: Reply, counts: Array<Buffer | string | null>, from: number): L2Read {
  const [payload = null, version, outcome] = reply;
  const read = plainRead(payload, counts, from);
  if (payload === null && version && outcome) {
    read.lease = { version: version.toString(), outcome: outcome.toString() === "acquired" ? "acquired" : "busy" };
  }
  return read;
}

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
  const redis = client;
  preloadScripts(client);
  const run = (s: Script, keys: string[], ...args: Array<string | number | Buffer>) => runScript(client, s, keys, args);
  // One MGET reads the entry, the generation and the tags; on Cluster they live in two slots, so two commands.
  const cluster = client instanceof Cluster;
  // Where the scripts publish their wake-ups themselves: not on a Cluster (see pfFillRelease).
  const scriptChannel = cluster ? "" : keys.channel;
  const counters = (tags: readonly string[]) => [keys.generation, ...tags.map((t) => keys.tag(t))];
  // A plain read, for a cache whose reads mostly hit: MGET costs Redis a tenth of what a script does.
  const readEntry = (key: string, tags: readonly string[]): Promise<L2Read> => {
    if (cluster) {
      const both = Promise.all([redis.getBuffer(keys.data(key)), redis.mget(counters(tags))]);
      return both.then(([payload, counts]) => plainRead(payload, counts, 0));
    }
    return redis.mgetBuffer([keys.data(key), ...counters(tags)]).then((r) => plainRead(r[0] ?? null, r, 1));
  };

  return {
    keys,
    connection,
    ...keySpaceBus(connection, keys.channel),
    read(key, tags, lease) {
      if (!lease) return readEntry(key, tags);
      const ttl = Math.max(1, Math.ceil(lease.ttlMs));
      const own = [keys.data(key), keys.version(key), keys.lease(key), keys.waiters(key)];
      if (cluster) {
        // The counters live in another slot than the key: a second command, sent in the same round trip.
        const entry = run(SCRIPTS.pfRead, own, lease.token, ttl) as Promise<Reply>;
        return Promise.all([entry, redis.mget(counters(tags))]).then(([r, counts]) => toRead(r, counts, 0));
      }
      const all = [...own, ...counters(tags)];
      return (run(SCRIPTS.pfRead, all, lease.token, ttl) as Promise<Reply>).then((r) => toRead(r, r, 3));
    },
    async readKeyVersion(key) {
      return (await redis.get(keys.version(key))) ?? "0";
    },
    async readVersions(tags) {
      const counts = await redis.mget(counters(tags));
      return { generation: toCount(counts[0]), tagVersions: counts.slice(1).map(toCount) };
    },
    async fill(key, expectedVersion, payload, ttlMs, leaseToken, from) {
      const ttl = Math.max(1, Math.ceil(ttlMs));
      if (!leaseToken) {
        return (await run(SCRIPTS.pfFill, [keys.data(key), keys.version(key)], expectedVersion, payload, ttl)) === 1;
      }
      const own = [keys.data(key), keys.version(key), keys.lease(key), keys.waiters(key)];
      const message = filledMessage(key, from);
      const [stored, woke] = (await run(
        SCRIPTS.pfFillRelease,
        own,
        expectedVersion,
        payload,
        ttl,
        leaseToken,
        scriptChannel,
        message,
      )) as number[];
      if (woke === 1 && cluster) await connection.publish(keys.channel, message);
      return stored === 1;
    },
    async put(key, payload, ttlMs) {
      await redis.set(keys.data(key), payload, "PX", Math.max(1, Math.ceil(ttlMs)), "NX");
    },
    async set(key, payload, ttlMs) {
      const ttl = Math.max(1, Math.ceil(ttlMs));
      await run(SCRIPTS.pfSet, [keys.data(key), keys.version(key)], payload, ttl, VERSION_TTL_MS);
    },
    async invalidate(list) {
      await Promise.all(list.map((k) => run(SCRIPTS.pfInvalidate, [keys.data(k), keys.version(k)], VERSION_TTL_MS)));
    },
    async bumpTags(tags) {
      await Promise.all(tags.map((t) => redis.incr(keys.tag(t))));
    },
    async bumpGeneration() {
      await redis.incr(keys.generation);
    },
    async acquireLease(key, token, ttlMs) {
      const ttl = Math.max(1, Math.ceil(ttlMs));
      const [version, outcome] = (await run(
        SCRIPTS.pfLease,
        [keys.version(key), keys.lease(key), keys.waiters(key)],
        token,
        ttl,
      )) as Reply;
      return { version: String(version), outcome: String(outcome) === "acquired" ? "acquired" : "busy" };
    },
    async releaseLease(key, token, from) {
      const message = filledMessage(key, from);
      const woke = await run(SCRIPTS.pfRelease, [keys.lease(key), keys.waiters(key)], token, scriptChannel, message);
      if (woke === 1 && cluster) await connection.publish(keys.channel, message);
    },
    async close() {
      if (options.closesConnection) await connection.close();
    },
  };
}
