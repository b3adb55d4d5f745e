import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { deferred, until, usePrivateRedis } from "./support/caches.ts";

const env = usePrivateRedis();

/**
 * The commands clients send to the server (MONITOR), without the ones scripts run inside and without the
 * heartbeats: what a cache call costs in round trips.
 */
async function watchCommands() {
  const monitor = await new Redis(env.redis.url).monitor();
  const seen: string[][] = [];
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    const heartbeat = args[0]?.toLowerCase() === "publish" && String(args[1]).includes(":hb:");
    if (source !== "lua" && !heartbeat) seen.push(args);
  });
  return {
    seen,
    /** Waits until the monitor has reported `n` commands, then takes them. */
    async take(n: number) {
      await until(() => seen.length >= n, 2000, `${n} commands`);
      await new Promise((r) => setTimeout(r, 50));
      return seen.splice(0);
    },
    stop: () => monitor.disconnect(),
  };
}

describe("round trips", () => {
  it("a miss costs two (the read that takes the lease, the fill that releases it); a hit one", async () => {
    const cache = await env.factory.make({ l1MaxBytes: 0 });
    const watch = await watchCommands();
    try {
      await cache.getOrLoad("cold", async () => ({ n: 1 }));
      const miss = await watch.take(2);
      expect(miss).toHaveLength(2);
      // Scripts, each in one command (EVAL the first time a server meets it, EVALSHA after).
      expect(miss.every((c) => /^eval(sha)?$/i.test(c[0] ?? ""))).toBe(true);

      expect(await cache.getOrLoad("cold", async () => ({ n: 2 }))).toEqual({ n: 1 });
      expect(await watch.take(1)).toHaveLength(1);
    } finally {
      watch.stop();
    }
  });

  it("once reads mostly hit, a hit is a plain MGET, and a miss takes its lease in a trip of its own", async () => {
    const cache = await env.factory.make({ l1MaxBytes: 0 });
    await cache.getOrLoad("warm", async () => 1);
    for (let i = 0; i < 40; i++) await cache.getOrLoad("warm", async () => 2);
    const watch = await watchCommands();
    try {
      await cache.getOrLoad("warm", async () => 3);
      expect((await watch.take(1)).map((c) => c[0]?.toLowerCase())).toEqual(["mget"]);
      await cache.getOrLoad("new", async () => 4);
      const miss = (await watch.take(3)).map((c) => c[0]?.toLowerCase());
      expect(miss[0]).toBe("mget");
      expect(miss.slice(1).every((c) => c === "evalsha")).toBe(true);
      expect(await cache.getOrLoad("new", async () => 5)).toBe(4);
    } finally {
      watch.stop();
    }
  });

  it("an uncontended fill publishes nothing; a waiter in another process is woken by the fill, not by its poll", async () => {
    // A poll slower than the test's bound: only the fill's wake-up can answer the waiter in time.
    const a = await env.factory.make({ waitPollMs: 10_000 });
    const b = await env.factory.make({ waitPollMs: 10_000 });
    const subscriber = new Redis(env.redis.url);
    const probe = new Redis(env.redis.url);
    const filled: string[] = [];
    await subscriber.subscribe("t:bus");
    subscriber.on("message", (_channel, text: string) => filled.push(text));
    try {
      await a.getOrLoad("alone", async () => 1);
      const held = deferred<number>();
      const loading = a.getOrLoad("shared", () => held.promise);
      await until(async () => (await probe.exists("t:{shared}:l")) === 1, 2000, "the lease");
      const waiting = b.fetch("shared", async () => -1);
      await until(async () => (await probe.exists("t:{shared}:w")) === 1, 2000, "a waiter's mark");
      const released = Date.now();
      held.resolve(7);
      expect(await loading).toBe(7);
      const r = await waiting;
      expect(r.value).toBe(7);
      expect(r.collapsed).toBe(true);
      expect(Date.now() - released).toBeLessThan(2000);
      expect(filled.map((m) => JSON.parse(m).filled)).toEqual(["shared"]);
    } finally {
      subscriber.disconnect();
      probe.disconnect();
    }
  });
});
