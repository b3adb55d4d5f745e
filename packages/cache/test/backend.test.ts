import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { connectCacheBackend, createMemoryBackend, createRedisBackend } from "../src/backend.ts";
import { Cache } from "../src/cache.ts";
import { KeySpace } from "../src/keys.ts";
import { MemoryL2Store } from "../src/memory-l2.ts";
import { connectRedis, waitUntilReady } from "../src/redis-connection.ts";
import { createRedisConnection, createRedisL2 } from "../src/redis-l2.ts";
import { until, usePrivateRedis } from "./support/caches.ts";

const env = usePrivateRedis();

describe("connectCacheBackend", () => {
  it("connects both connections, starts the heartbeat, and makes caches that share one tier", async () => {
    const backend = await connectCacheBackend({ url: env.redis.url, namespace: "b1" });
    try {
      expect(backend.health).toEqual({ breaker: "closed", bus: "confirmed", pendingInvalidations: 0 });
      expect(backend.redis?.status).toBe("ready");
      const a = await backend.createCache({ name: "a", prefix: "b1" });
      const b = await backend.createCache({ name: "b" });
      expect(a.l1Trusted && b.l1Trusted).toBe(true);
      await a.getOrLoad("k", async () => "v");
      // Same key space, same connection, another cache: it finds the value in L2.
      const c = await backend.createCache({ name: "c", prefix: "b1" });
      expect(await c.fetch("k", async () => "other")).toMatchObject({ value: "v", layer: "l2" });
    } finally {
      await backend.close();
    }
    await until(() => backend.redis?.status === "end", 2000, "the connections' end");
  });

  it("throws when Redis is not there, unless told how to report it; then its caches bypass Redis", async () => {
    const nowhere = "redis://127.0.0.1:1";
    await expect(connectCacheBackend({ url: nowhere, readyTimeoutMs: 300 })).rejects.toThrow(/not ready/);
    const reported: string[] = [];
    const backend = await connectCacheBackend({
      url: nowhere,
      readyTimeoutMs: 300,
      heartbeat: { intervalMs: 50, deadlineMs: 200 },
      onUnready: (err) => reported.push(err.message),
    });
    try {
      expect(reported).toHaveLength(1);
      expect(backend.health.bus).toBe("silent");
      const cache = await backend.createCache({ name: "down" });
      // Counted as a bypass; the answer says what it was to the caller: a miss, not stored.
      expect(await cache.fetch("k", async () => "from the loader")).toMatchObject({ status: "miss", stored: false });
      expect(cache.stats.bypass).toBe(1);
    } finally {
      await backend.close();
    }
  });
});

describe("createRedisBackend and createMemoryBackend", () => {
  it("a backend on connections it does not own leaves them open when closed", async () => {
    const client = connectRedis({ url: env.redis.url });
    const subscriber = connectRedis({ url: env.redis.url });
    await Promise.all([waitUntilReady(client), waitUntilReady(subscriber)]);
    const backend = createRedisBackend(client, subscriber, { ownsConnections: false });
    await backend.start();
    const cache = await backend.createCache({ name: "borrowed" });
    await cache.getOrLoad("k", async () => 1);
    await backend.close();
    expect(await client.ping()).toBe("PONG");
    client.disconnect();
    subscriber.disconnect();
  });

  it("an in-process backend needs no heartbeat, and its caches see each other's evictions", async () => {
    const backend = createMemoryBackend(new MemoryL2Store());
    await backend.start();
    const a = await backend.createCache({ name: "a", prefix: "mem" });
    const b = await backend.createCache({ name: "b", prefix: "mem" });
    await a.getOrLoad("k", async () => 1);
    await b.getOrLoad("k", async () => 1);
    await a.invalidate(["k"]);
    await until(async () => (await b.getOrLoad("k", async () => 2)) === 2, 1000, "b's eviction");
    expect(backend.health).toEqual({ breaker: "closed", bus: "confirmed", pendingInvalidations: 0 });
    await backend.close();
  });
});

describe("a cache with connections of its own (createRedisL2)", () => {
  it("runs its own tier on them and closes them with itself", async () => {
    const client = connectRedis({ url: env.redis.url });
    const subscriber = connectRedis({ url: env.redis.url });
    await Promise.all([waitUntilReady(client), waitUntilReady(subscriber)]);
    const cache = new Cache({ name: "own", l2: createRedisL2(client, subscriber, new KeySpace("own")) });
    await cache.connect();
    expect(cache.l1Trusted).toBe(true);
    await cache.getOrLoad("k", async () => "v");
    expect(await cache.fetch("k", async () => "w")).toMatchObject({ layer: "l1" });
    await cache.close();
    await until(() => client.status === "end" && subscriber.status === "end", 2000, "the connections' end");
  });
});

describe("RedisL2Connection", () => {
  it("subscribes a channel once for all its members, and unsubscribes when the last one leaves", async () => {
    const client = connectRedis({ url: env.redis.url });
    const subscriber = connectRedis({ url: env.redis.url });
    await Promise.all([waitUntilReady(client), waitUntilReady(subscriber)]);
    const conn = createRedisConnection(client, subscriber, { namespace: "conn" });
    const admin = new Redis(env.redis.url);
    const numsub = async () => Number(((await admin.call("PUBSUB", "NUMSUB", "ch")) as [string, number])[1]);
    const got: string[] = [];
    const states: boolean[] = [];
    const leaveA = await conn.join(
      "ch",
      (t) => got.push(`a:${t}`),
      (up) => states.push(up),
    );
    const leaveB = await conn.join(
      "ch",
      (t) => got.push(`b:${t}`),
      () => {},
    );
    expect(states).toEqual([true]);
    expect(await numsub()).toBe(1);
    await conn.publish("ch", "hello");
    await until(() => got.length === 2, 1000, "both members' copies");
    leaveA();
    expect(await numsub()).toBe(1);
    leaveB();
    await until(async () => (await numsub()) === 0, 1000, "the unsubscribe");
    // A reset subscriber is a new connection: members hear it went down, and come back up on it.
    const leaveC = await conn.join(
      "ch",
      () => {},
      (up) => states.push(up),
    );
    conn.resetSubscriber();
    await until(() => states.length >= 4, 3000, "down and up again");
    expect(states).toEqual([true, true, false, true]);
    leaveC();
    admin.disconnect();
    await conn.close();
  });
});
