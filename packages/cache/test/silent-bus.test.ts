import { type FaultProxy, startFaultProxy } from "@printfab/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CacheBackend, createRedisBackend } from "../src/backend.ts";
import { connectRedis, waitUntilReady } from "../src/redis-connection.ts";
import { sleep, until, usePrivateRedis } from "./support/caches.ts";

const env = usePrivateRedis();
// Small beats, so the bounds below hold with a wide margin on a busy machine.
const HEARTBEAT = { intervalMs: 100, deadlineMs: 500 };

let proxy: FaultProxy;
let reader: CacheBackend | undefined;
beforeEach(async () => {
  proxy = await startFaultProxy({ port: env.redis.port });
});
afterEach(async () => {
  await reader?.close();
  await proxy.close();
});

/** A backend whose command connection is direct and whose subscriber goes through the proxy. */
async function readerBackend() {
  const client = connectRedis({ url: env.redis.url, commandTimeoutMs: 300 });
  const subscriber = connectRedis({ url: proxy.url(), commandTimeoutMs: 300 });
  await Promise.all([waitUntilReady(client), waitUntilReady(subscriber)]);
  reader = createRedisBackend(client, subscriber, { heartbeat: HEARTBEAT, namespace: "silent" });
  await reader.start();
  return reader;
}

describe("a silent bus", () => {
  it("is found within the deadline: L1 is not served after, and is used again once beats come back", async () => {
    const backend = await readerBackend();
    const r = await backend.createCache({ name: "reader", prefix: "silent" });
    const w = await env.factory.make({ prefix: "silent" });
    const busEvents: boolean[] = [];
    backend.tier.events.on("bus", ({ confirmed }) => busEvents.push(confirmed));
    let db = "v1";
    const load = async () => db;
    await r.getOrLoad("k", load);
    expect(await r.fetch("k", load)).toMatchObject({ layer: "l1", value: "v1" });

    // The subscriber's connection goes half-open: no FIN, no error, nothing delivered.
    proxy.blackhole("downstream");
    const silentAt = performance.now();
    db = "v2";
    await w.invalidate(["k"]);
    let lastStaleMs = 0;
    await until(
      async () => {
        const res = await r.fetch("k", load);
        if (res.value === "v1") lastStaleMs = performance.now() - silentAt;
        return res.value === "v2";
      },
      3000,
      "the reader to stop serving the evicted value",
    );
    console.info(`silent bus: last stale L1 read ${lastStaleMs.toFixed(0)} ms after the bus went silent`);
    expect(lastStaleMs).toBeLessThan(1000);
    expect(r.l1Trusted).toBe(false);
    expect(backend.health.bus).toBe("silent");
    // Silent means unused: nothing comes from L1 while it lasts.
    for (let i = 0; i < 10; i++) {
      expect((await r.fetch("k", load)).layer).not.toBe("l1");
      await sleep(20);
    }

    // Healed: the heartbeat made a new subscriber, beats come back, and L1 serves again.
    proxy.pass();
    await until(async () => (await r.fetch("k", load)).layer === "l1", 10_000, "L1 in use again");
    expect(backend.health.bus).toBe("confirmed");
    expect(busEvents[0]).toBe(false);
    expect(busEvents.at(-1)).toBe(true);
  }, 30_000);

  it("a subscriber reset by the server is rejoined on every channel, and L1 was emptied meanwhile", async () => {
    const backend = await readerBackend();
    const a = await backend.createCache({ name: "a", prefix: "rejoin-a" });
    const b = await backend.createCache({ name: "b", prefix: "rejoin-b" });
    const states: boolean[] = [];
    a.events.on("bus", ({ up }) => states.push(up));
    await a.getOrLoad("k", async () => 1);
    proxy.reset();
    await until(() => states.length >= 2 && a.l1Trusted && b.l1Trusted, 5000, "both caches back on the bus");
    expect(states).toEqual([false, true]);
    expect(await a.fetch("k", async () => 2)).toMatchObject({ layer: "l2", value: 1 });
    // Evictions reach both again.
    const w = await env.factory.make({ prefix: "rejoin-b" });
    await b.getOrLoad("x", async () => "old");
    await w.invalidate(["x"]);
    await until(async () => (await b.getOrLoad("x", async () => "new")) === "new", 2000, "b's eviction");
  }, 30_000);
});
