import { type Cache, connectCacheBackend } from "@printfab/cache";
import pg from "pg";
import { percentile } from "../stats.ts";
import { zipf } from "./zipf.ts";

export interface StrategyRow {
  strategy: string;
  reads: number;
  writes: number;
  hitRatio: number;
  dbQueriesPerRead: number;
  staleReadRate: number;
  writeP50Ms: number;
  writeP99Ms: number;
}

type Strategy = "TTL only" | "Cache-Aside + key invalidation" | "write-through" | "refresh-ahead (TTL)";
const STRATEGIES: Strategy[] = ["TTL only", "Cache-Aside + key invalidation", "write-through", "refresh-ahead (TTL)"];
const ITEMS = 1000;
const TTL_MS = 2000;

/**
 * The caching strategies side by side: the same read/write mix (1% writes, Zipf reads over 1,000 rows,
 * two cache instances standing for two processes) under each strategy, against PostgreSQL and Redis.
 */
export async function runStrategies(opts: {
  databaseUrl: string;
  redisUrl: string;
  quick: boolean;
}): Promise<StrategyRow[]> {
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 16 });
  await pool.query("CREATE SCHEMA IF NOT EXISTS bench");
  await pool.query("DROP TABLE IF EXISTS bench.items");
  await pool.query("CREATE TABLE bench.items (id integer PRIMARY KEY, version integer NOT NULL)");
  await pool.query("INSERT INTO bench.items SELECT g, 0 FROM generate_series(0, $1) g", [ITEMS - 1]);
  const rows: StrategyRow[] = [];
  for (const strategy of STRATEGIES) {
    const prefix = `bstrat${Date.now().toString(36)}${rows.length}`;
    // Two processes' worth: a backend (connections, breaker, heartbeat) each.
    const backends = [
      await connectCacheBackend({ url: opts.redisUrl, commandTimeoutMs: 1000 }),
      await connectCacheBackend({ url: opts.redisUrl, commandTimeoutMs: 1000 }),
    ];
    const caches: Cache[] = [];
    for (const backend of backends) {
      caches.push(
        await backend.createCache({
          name: "strategy",
          prefix,
          // L2 only, as the services cache order status: the strategies differ in what a write does.
          l1MaxBytes: 0,
          defaults: { ttl: TTL_MS, refreshAhead: strategy === "refresh-ahead (TTL)" ? 1 : 0 },
        }),
      );
    }
    let queries = 0;
    let reads = 0;
    let stale = 0;
    const writeMs: number[] = [];
    const acked = new Map<number, { version: number; at: number }>();
    const pick = zipf(ITEMS, 1.1);
    const end = performance.now() + (opts.quick ? 5000 : 15000);
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        const cache = caches[w % 2] as Cache;
        while (performance.now() < end) {
          const id = pick();
          const key = `item:${id}`;
          if (Math.random() < 0.01) {
            const t0 = performance.now();
            queries++;
            const r = await pool.query("UPDATE bench.items SET version = version + 1 WHERE id = $1 RETURNING version", [
              id,
            ]);
            const version = r.rows[0].version as number;
            if (strategy === "Cache-Aside + key invalidation") await cache.invalidate([key]);
            if (strategy === "write-through") await cache.set(key, version);
            writeMs.push(performance.now() - t0);
            const prev = acked.get(id);
            if (!prev || prev.version < version) acked.set(id, { version, at: performance.now() });
          } else {
            const began = performance.now();
            const ack = acked.get(id);
            const v = await cache.getOrLoad(key, async () => {
              queries++;
              return (await pool.query("SELECT version FROM bench.items WHERE id = $1", [id])).rows[0]
                .version as number;
            });
            reads++;
            if (ack && ack.at <= began && v < ack.version) stale++;
          }
        }
      }),
    );
    const hits = caches.reduce((s, c) => s + c.stats.hit_l1 + c.stats.hit_l2, 0);
    const lookups = hits + caches.reduce((s, c) => s + c.stats.miss, 0);
    const writes = writeMs.length;
    writeMs.sort((a, b) => a - b);
    rows.push({
      strategy,
      reads,
      writes,
      hitRatio: lookups ? hits / lookups : 0,
      dbQueriesPerRead: (queries - writes) / Math.max(1, reads),
      staleReadRate: stale / Math.max(1, reads),
      writeP50Ms: Math.round(percentile(writeMs, 50) * 100) / 100,
      writeP99Ms: Math.round(percentile(writeMs, 99) * 100) / 100,
    });
    await Promise.all(backends.map((b) => b.close()));
  }
  await pool.query("DROP TABLE bench.items");
  await pool.end();
  return rows;
}
