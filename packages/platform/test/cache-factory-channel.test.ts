import { randomBytes } from "node:crypto";
import { type FaultProxy, type RedisServer, startFaultProxy, startRedisServer } from "@printfab/testkit";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CacheFactory, createCacheFactory } from "../src/cache-factory.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/logger.ts";

/** `CacheFactory.channel`: publish/join on the caches' connection, across processes, through faults. */
const logger = createLogger("silent");
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

const factory = (env: Record<string, string>) =>
  createCacheFactory(loadConfig({ AUTH_SECRET: "x".repeat(32), ...env }), logger, { registry: new Registry() });

const until = async (cond: () => boolean, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A member of channel `name` that records what it hears and its state. */
async function member(f: CacheFactory, name = "events") {
  const heard: string[] = [];
  const states: boolean[] = [];
  const leave = await f.channel(name).join(
    (text) => heard.push(text),
    (up) => states.push(up),
  );
  return {
    heard,
    states,
    leave,
    get up() {
      return states.at(-1) === true;
    },
  };
}

const MODES: Array<[string, (ns: string) => Record<string, string>, boolean]> = [
  ["Redis, caches on", (ns) => ({ CACHE: "on", REDIS_URL: redis.url, CACHE_NAMESPACE: ns }), true],
  ["Redis, caches off", (ns) => ({ CACHE: "off", REDIS_URL: redis.url, CACHE_NAMESPACE: ns }), true],
  ["in process, caches on", (ns) => ({ CACHE: "on", CACHE_NAMESPACE: ns }), false],
  ["in process, caches off", (ns) => ({ CACHE: "off", CACHE_NAMESPACE: ns }), false],
];

describe.each(MODES)("channel(): %s", (_name, env, crossesProcesses) => {
  it(`reaches the factory's own members${crossesProcesses ? " and another process's" : ", and only them"}`, async () => {
    const ns = `t${randomBytes(4).toString("hex")}`;
    const [a, b] = [await factory(env(ns)), await factory(env(ns))];
    const mine = await member(a);
    const other = await member(b);
    const elsewhere = await member(a, "other-channel");
    expect([mine.up, other.up]).toEqual([true, true]);
    await a.channel("events").publish("hello");
    await until(() => mine.heard.length === 1, 2000, "own member");
    if (crossesProcesses) await until(() => other.heard.length === 1, 2000, "other process");
    else await new Promise((r) => setTimeout(r, 50));
    expect(other.heard).toEqual(crossesProcesses ? ["hello"] : []);
    expect(elsewhere.heard).toEqual([]);
    mine.leave();
    await a.channel("events").publish("after leaving");
    if (crossesProcesses) await until(() => other.heard.length === 2, 2000, "second message");
    expect(mine.heard).toEqual(["hello"]);
    await Promise.all([a.close(), b.close()]);
  });

  it("keeps channels of different namespaces apart", async () => {
    const [a, b] = [await factory(env(`t${randomBytes(4).toString("hex")}`)), await factory(env("another"))];
    const other = await member(b);
    await a.channel("events").publish("not yours");
    await new Promise((r) => setTimeout(r, 100));
    expect(other.heard).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});

describe.each([
  ["caches on", "on"],
  ["caches off", "off"],
])("channel() through a faulty connection (%s)", (_name, cache) => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({ port: redis.port });
  });
  afterAll(() => proxy.close());

  it("a cut connection is told (down), comes back by itself (up), and carries messages again", async () => {
    const ns = `t${randomBytes(4).toString("hex")}`;
    const cut = await factory({ CACHE: cache, REDIS_URL: proxy.url(), CACHE_NAMESPACE: ns });
    const publisher = await factory({ CACHE: cache, REDIS_URL: redis.url, CACHE_NAMESPACE: ns });
    const m = await member(cut);
    expect(m.up).toBe(true);
    proxy.reset();
    await until(() => !m.up, 2000, "down after the cut");
    await until(() => m.up, 5000, "up again");
    await publisher.channel("events").publish("after");
    await until(() => m.heard.includes("after"), 2000, "message after the cut");
    await Promise.all([cut.close(), publisher.close()]);
  });

  it("a half-open connection (the server's bytes lost) is found by the heartbeat and reset", async () => {
    const ns = `t${randomBytes(4).toString("hex")}`;
    const silent = await factory({ CACHE: cache, REDIS_URL: proxy.url(), CACHE_NAMESPACE: ns });
    const publisher = await factory({ CACHE: cache, REDIS_URL: redis.url, CACHE_NAMESPACE: ns });
    const m = await member(silent);
    proxy.blackhole("downstream");
    await publisher.channel("events").publish("lost");
    // Nothing closes by itself: the beats that do not come back make the subscriber be replaced.
    await until(() => !m.up, 5000, "down on a silent bus");
    proxy.pass();
    await until(() => m.up, 5000, "up again");
    await publisher.channel("events").publish("found");
    await until(() => m.heard.includes("found"), 2000, "message after healing");
    expect(m.heard).not.toContain("lost");
    await Promise.all([silent.close(), publisher.close()]);
  });
});
