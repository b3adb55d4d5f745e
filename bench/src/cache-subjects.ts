import KeyvRedis from "@keyv/redis";
import { type CacheBackend, connectCacheBackend } from "@printfab/cache";
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";
import { redisDriver } from "bentocache/drivers/redis";
import { createCache } from "cache-manager";
import { Redis } from "ioredis";
import { Keyv } from "keyv";
import { LRUCache } from "lru-cache";

export const KEYS = 1000;
export const IN_FLIGHT = 64;

export type Scenario = "L1 hit (sequential)" | "L2 hit (64 in flight)" | "miss + fill (64 in flight)";

/** One library in one scenario: set up once, then measured in every round; `op(i, round)` is one call. */
export interface Subject {
  scenario: Scenario;
  library: string;
  op(i: number, round: number): unknown;
  close(): Promise<void>;
}

/** A 1 KB JSON value, like a product page. */
export const value = (i: number) => ({
  id: i,
  name: `Product ${i}`,
  category: "gears",
  priceCents: 1999 + i,
  description: "x".repeat(880),
});

const load = (i: number) => async () => value(i % KEYS);
const fillKeys = async (fill: (i: number) => Promise<unknown>) => {
  for (let i = 0; i < KEYS; i++) await fill(i);
};

/**
 * The subjects of every scenario on one Redis. The references come first: lru-cache's own `get` (what
 * L1 could be), raw ioredis `GET` + `JSON.parse` (what an L2 hit could be). Misses use keys new to each
 * round (`m<round>:<i>`), so every call of every round is a miss.
 */
export async function createSubjects(redisUrl: string): Promise<Subject[]> {
  const url = new URL(redisUrl);
  const backends: CacheBackend[] = [];
  const ours = async (l1: boolean, prefix: string) => {
    // Each printfab subject has a backend of its own (connections, breaker, heartbeat), as a process would.
    const backend = await connectCacheBackend({ url: redisUrl, commandTimeoutMs: 1000 });
    backends.push(backend);
    return backend.createCache({ name: "bench", prefix, l1MaxBytes: l1 ? 64 << 20 : 0, defaults: { ttl: 3_600_000 } });
  };
  const bento = (l1: boolean) => {
    const store = bentostore();
    if (l1) store.useL1Layer(memoryDriver({ maxSize: "64mb" }));
    store.useL2Layer(redisDriver({ connection: { host: url.hostname, port: Number(url.port) } }));
    return new BentoCache({ default: "c", stores: { c: store } });
  };
  const redis = new Redis(redisUrl);
  const closeBackends = async () => {
    await Promise.all(backends.map((b) => b.close()));
  };

  const lru = new LRUCache<string, object>({ max: 10_000 });
  for (let i = 0; i < KEYS; i++) lru.set(`k${i}`, value(i));
  const l1 = await ours(true, "b1");
  await fillKeys((i) => l1.getOrLoad(`k${i}`, load(i)));
  const bentoL1 = bento(true);
  await fillKeys((i) => bentoL1.getOrSet({ key: `bk${i}`, factory: load(i), ttl: "1h" }));
  const cmL1 = createCache({ stores: [new Keyv()] });
  await fillKeys((i) => cmL1.wrap(`ck${i}`, load(i), 3_600_000));

  await fillKeys((i) => redis.set(`raw:${i}`, JSON.stringify(value(i))));
  const l2 = await ours(false, "b2");
  await fillKeys((i) => l2.getOrLoad(`k${i}`, load(i)));
  const bentoL2 = bento(false);
  await fillKeys((i) => bentoL2.getOrSet({ key: `bl2${i}`, factory: load(i), ttl: "1h" }));
  const cmL2 = createCache({ stores: [new Keyv({ store: new KeyvRedis(redisUrl), namespace: "cm" })] });
  await fillKeys((i) => cmL2.wrap(`cl2${i}`, load(i), 3_600_000));

  const miss = await ours(true, "b3");
  const bentoMiss = bento(true);
  const cmMiss = createCache({
    stores: [new Keyv(), new Keyv({ store: new KeyvRedis(redisUrl), namespace: "cmm" })],
  });

  const L1: Scenario = "L1 hit (sequential)";
  const L2: Scenario = "L2 hit (64 in flight)";
  const MISS: Scenario = "miss + fill (64 in flight)";
  const none = async () => {};
  return [
    { scenario: L1, library: "lru-cache get", op: (i) => lru.get(`k${i % KEYS}`), close: none },
    { scenario: L1, library: "printfab", op: (i) => l1.getOrLoad(`k${i % KEYS}`, load(i)), close: none },
    {
      scenario: L1,
      library: "BentoCache 1.6",
      op: (i) => bentoL1.getOrSet({ key: `bk${i % KEYS}`, factory: load(i), ttl: "1h" }),
      close: () => bentoL1.disconnectAll(),
    },
    {
      scenario: L1,
      library: "cache-manager 7",
      op: (i) => cmL1.wrap(`ck${i % KEYS}`, load(i), 3_600_000),
      close: none,
    },
    {
      scenario: L2,
      library: "raw ioredis GET+JSON.parse",
      op: async (i) => JSON.parse((await redis.get(`raw:${i % KEYS}`)) as string),
      close: async () => void redis.disconnect(),
    },
    { scenario: L2, library: "printfab", op: (i) => l2.getOrLoad(`k${i % KEYS}`, load(i)), close: none },
    {
      scenario: L2,
      library: "BentoCache 1.6",
      op: (i) => bentoL2.getOrSet({ key: `bl2${i % KEYS}`, factory: load(i), ttl: "1h" }),
      close: () => bentoL2.disconnectAll(),
    },
    {
      scenario: L2,
      library: "cache-manager 7",
      op: (i) => cmL2.wrap(`cl2${i % KEYS}`, load(i), 3_600_000),
      close: () => cmL2.disconnect().then(none),
    },
    { scenario: MISS, library: "printfab", op: (i, r) => miss.getOrLoad(`m${r}:${i}`, load(i)), close: closeBackends },
    {
      scenario: MISS,
      library: "BentoCache 1.6",
      op: (i, r) => bentoMiss.getOrSet({ key: `bm${r}:${i}`, factory: load(i), ttl: "1h" }),
      close: () => bentoMiss.disconnectAll(),
    },
    {
      scenario: MISS,
      library: "cache-manager 7",
      op: (i, r) => cmMiss.wrap(`cm${r}:${i}`, load(i), 3_600_000),
      close: () => cmMiss.disconnect().then(none),
    },
  ];
}
