import { mkdir, writeFile } from "node:fs/promises";
import KeyvRedis from "@keyv/redis";
import { type CacheBackend, connectCacheBackend } from "@printfab/cache";
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { redisDriver } from "bentocache/drivers/redis";
import { createCache } from "cache-manager";
import { Redis } from "ioredis";
import { Keyv } from "keyv";
import { type Measurement, measureConcurrent, measureSequential, table } from "./stats.ts";

const KEYS = 1000;
const IN_FLIGHT = 64;

/** A 1 KB JSON value, like a product page. */
const value = (i: number) => ({
  id: i,
  name: `Product ${i}`,
  category: "gears",
  priceCents: 1999 + i,
  description: "x".repeat(880),
});

export async function runCacheBench(opts: { redisUrl: string; seconds: number; out: string }) {
  const ms = opts.seconds * 1000;
  const url = new URL(opts.redisUrl);
  const redis = new Redis(opts.redisUrl);
  await redis.flushdb();
  const rows: Array<[string, string, Measurement]> = [];
  const log = (s: string) => process.stderr.write(`${s}\n`);

  // Each measurement gets a backend of its own (connections, breaker, heartbeat), closed at the end.
  const backends: CacheBackend[] = [];
  const ours = async (l1: boolean, prefix: string) => {
    const backend = await connectCacheBackend({ url: opts.redisUrl, commandTimeoutMs: 1000 });
    backends.push(backend);
    return backend.createCache({ name: "bench", prefix, l1MaxBytes: l1 ? 64 << 20 : 0, defaults: { ttl: 3_600_000 } });
  };
  const load = (i: number) => async () => value(i % KEYS);
  /** BentoCache on the same Redis, with its memory L1 or L2 only. */
  const bento = (l1: boolean) => {
    const store = bentostore();
    if (l1) store.useL1Layer(memoryDriver({ maxSize: "64mb" }));
    store.useL2Layer(redisDriver({ connection: { host: url.hostname, port: Number(url.port) } }));
    return new BentoCache({ default: "c", stores: { c: store } });
  };

  // --- L1 hit, sequential ---
  log("L1 hit (sequential)...");
  {
    const c = await ours(true, "b1");
    for (let i = 0; i < KEYS; i++) await c.getOrLoad(`k${i}`, load(i));
    rows.push([
      "L1 hit (sequential)",
      "printfab",
      await measureSequential((i) => c.getOrLoad(`k${i % KEYS}`, load(i)), ms),
    ]);
    await c.close();
  }
  {
    const bc = bento(true);
    for (let i = 0; i < KEYS; i++) await bc.getOrSet({ key: `bk${i}`, factory: load(i), ttl: "1h" });
    rows.push([
      "L1 hit (sequential)",
      "BentoCache 1.6",
      await measureSequential((i) => bc.getOrSet({ key: `bk${i % KEYS}`, factory: load(i), ttl: "1h" }), ms),
    ]);
    await bc.disconnectAll();
  }
  {
    const cm = createCache({ stores: [new Keyv()] });
    for (let i = 0; i < KEYS; i++) await cm.wrap(`ck${i}`, load(i), 3_600_000);
    rows.push([
      "L1 hit (sequential)",
      "cache-manager 7",
      await measureSequential((i) => cm.wrap(`ck${i % KEYS}`, load(i), 3_600_000), ms),
    ]);
  }

  // --- L2 hit, 64 in flight ---
  log("L2 hit (64 in flight)...");
  for (let i = 0; i < KEYS; i++) await redis.set(`raw:${i}`, JSON.stringify(value(i)));
  rows.push([
    "L2 hit (64 in flight)",
    "raw ioredis GET+JSON.parse",
    await measureConcurrent(async (i) => JSON.parse((await redis.get(`raw:${i % KEYS}`)) as string), IN_FLIGHT, ms),
  ]);
  {
    const c = await ours(false, "b2");
    for (let i = 0; i < KEYS; i++) await c.getOrLoad(`k${i}`, load(i));
    rows.push([
      "L2 hit (64 in flight)",
      "printfab",
      await measureConcurrent((i) => c.getOrLoad(`k${i % KEYS}`, load(i)), IN_FLIGHT, ms),
    ]);
    await c.close();
  }
  {
    const bc = bento(false);
    for (let i = 0; i < KEYS; i++) await bc.getOrSet({ key: `bl2${i}`, factory: load(i), ttl: "1h" });
    rows.push([
      "L2 hit (64 in flight)",
      "BentoCache 1.6",
      await measureConcurrent(
        (i) => bc.getOrSet({ key: `bl2${i % KEYS}`, factory: load(i), ttl: "1h" }),
        IN_FLIGHT,
        ms,
      ),
    ]);
    await bc.disconnectAll();
  }
  {
    const store = new Keyv({ store: new KeyvRedis(opts.redisUrl), namespace: "cm" });
    const cm = createCache({ stores: [store] });
    for (let i = 0; i < KEYS; i++) await cm.wrap(`cl2${i}`, load(i), 3_600_000);
    rows.push([
      "L2 hit (64 in flight)",
      "cache-manager 7",
      await measureConcurrent((i) => cm.wrap(`cl2${i % KEYS}`, load(i), 3_600_000), IN_FLIGHT, ms),
    ]);
    await cm.disconnect();
  }

  // --- miss + fill, 64 in flight, every key new ---
  log("miss + fill (64 in flight)...");
  {
    const c = await ours(true, "b3");
    rows.push([
      "miss + fill (64 in flight)",
      "printfab",
      await measureConcurrent((i) => c.getOrLoad(`m${i}`, load(i)), IN_FLIGHT, ms),
    ]);
    await c.close();
  }
  {
    const bc = bento(true);
    rows.push([
      "miss + fill (64 in flight)",
      "BentoCache 1.6",
      await measureConcurrent((i) => bc.getOrSet({ key: `bm${i}`, factory: load(i), ttl: "1h" }), IN_FLIGHT, ms),
    ]);
    await bc.disconnectAll();
  }
  {
    const cm = createCache({
      stores: [new Keyv(), new Keyv({ store: new KeyvRedis(opts.redisUrl), namespace: "cmm" })],
    });
    rows.push([
      "miss + fill (64 in flight)",
      "cache-manager 7",
      await measureConcurrent((i) => cm.wrap(`cm${i}`, load(i), 3_600_000), IN_FLIGHT, ms),
    ]);
    await cm.disconnect();
  }
  await Promise.all(backends.map((b) => b.close()));
  redis.disconnect();

  const byScenario = (scenario: string, lib: string) => rows.find((r) => r[0] === scenario && r[1] === lib)?.[2];
  const rawL2 = byScenario("L2 hit (64 in flight)", "raw ioredis GET+JSON.parse");
  const text = table(
    ["scenario", "library", "ops/s", "p50 µs", "p99 µs"],
    rows.map(([s, lib, m]) => [s, lib, m.opsPerSec.toLocaleString("en-US"), m.p50Us, m.p99Us]),
  );
  const l1 = byScenario("L1 hit (sequential)", "printfab");
  const l2 = byScenario("L2 hit (64 in flight)", "printfab");
  const targets = [
    `L1 hit: ${l1?.opsPerSec.toLocaleString("en-US")} ops/s sequential (target >= 1,000,000): ${(l1?.opsPerSec ?? 0) >= 1_000_000 ? "met" : "MISSED"}`,
    `L2 hit: ${((l2?.opsPerSec ?? 0) / (rawL2?.opsPerSec ?? 1)).toFixed(2)}x raw ioredis in the same run (target >= 0.9x): ${(l2?.opsPerSec ?? 0) >= 0.9 * (rawL2?.opsPerSec ?? Infinity) ? "met" : "MISSED"}`,
  ];
  const report = `# Cache engine benchmark\n\nRun ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}, Redis at ${url.host}; ${opts.seconds} s per row; value: 1 KB JSON over ${KEYS} keys.\n\n${text}\n\n${targets.map((t) => `- ${t}`).join("\n")}\n`;
  process.stdout.write(`\n${text}\n\n${targets.join("\n")}\n`);
  await mkdir(opts.out, { recursive: true });
  await writeFile(`${opts.out}/cache.md`, report);
  await writeFile(`${opts.out}/../results/cache-${Date.now()}.json`, JSON.stringify({ rows, targets }, null, 2)).catch(
    () => undefined,
  );
}
