import { cpus, loadavg } from "node:os";
import { runWorker } from "../system/measure.ts";
import { stopChildrenOnExit } from "../system/processes.ts";
import { catalogueSeconds, type ScenarioSpec } from "../system/scenarios.ts";
import { benchData } from "./bench-data.ts";
import { coldKeyCost, propagationMs } from "./probes.ts";
import { type ScaleRow, writeScaleReport } from "./report.ts";
import { startShopTier } from "./shop-tier.ts";

const SECRET = "printfab-scale-secret-0123456789";
const INSTANCES = [1, 2, 4];
const PROPAGATION_SAMPLES = 5;

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Keys requested for the first time in this tier's cache namespace: each costs a load whatever the tier. */
function firstSeen(seen: Set<string>, keys: string[] = []): number {
  const before = seen.size;
  for (const k of keys) seen.add(k);
  return seen.size - before;
}

/** One tier: a warm-up, `rounds` catalogue rounds through HAProxy, then the cold-key and propagation probes. */
async function measureTier(n: number, env: Record<string, string>, spec: ScenarioSpec, rounds: number) {
  const tier = await startShopTier(n, env);
  try {
    const catalogue = { ...spec, urls: { shop: tier.url, crm: tier.url, mes: tier.url } };
    const seen = new Set<string>();
    firstSeen(seen, (await runWorker({ ...catalogue, warmUp: true })).keys);
    const row: ScaleRow = { instances: n, rounds: [], coldKeyQueries: 0, propagationMs: [] };
    for (let i = 0; i < rounds; i++) {
      const [q0, c0] = [await tier.queries(), await tier.counters()];
      const { keys, ...result } = await runWorker(catalogue);
      const [q1, c1] = [await tier.queries(), await tier.counters()];
      row.rounds.push({
        result,
        dbQueries: q1 - q0,
        newKeys: firstSeen(seen, keys),
        cpuSeconds: c1.cpuSeconds - c0.cpuSeconds,
        l1HitRatio: (c1.l1Hits - c0.l1Hits) / Math.max(1, c1.lookups - c0.lookups),
      });
      log(`  ${n} Shop(s), round ${i + 1}: ${result.rps} req/s, p99 ${result.p99} ms, ${q1 - q0} DB queries`);
    }
    // Far down the Zipf tail, the last product no round asked for (a fast run reaches far into the tail).
    let cold = spec.productCount - n;
    while (cold > 1 && seen.has(`product:${cold}`)) cold--;
    if (seen.has(`product:${cold}`)) throw new Error("every product was read: none is cold");
    row.coldKeyQueries = await coldKeyCost(tier, cold);
    for (let i = 0; n > 1 && i < PROPAGATION_SAMPLES; i++)
      row.propagationMs.push(await propagationMs(tier, spec.productCount - 100 - i, SECRET));
    return row;
  } finally {
    await tier.stop();
  }
}

/**
 * 1, 2 and 4 Shops behind HAProxy over the system bench's database, each under the system bench's
 * catalogue load in a cache namespace of its own: what more instances cost the database and bring in
 * throughput. `seconds` is the measured load per tier, in whole catalogue rounds (at least one).
 */
export async function runScaleBench(opts: { seconds: number; quick: boolean; out: string }): Promise<void> {
  stopChildrenOnExit();
  const started = new Date();
  const data = await benchData(opts.quick);
  const id = Date.now().toString(36);
  const roundSeconds = catalogueSeconds(opts.quick);
  const rounds = Math.max(1, Math.ceil(opts.seconds / roundSeconds));
  const spec: ScenarioSpec = {
    scenario: "catalogue",
    quick: opts.quick,
    urls: { shop: "", crm: "", mes: "" },
    secret: SECRET,
    productCount: data.products,
    categories: data.categories,
    orders: [],
    modelFiles: [],
    runId: id,
  };
  const rows: ScaleRow[] = [];
  for (const n of INSTANCES) {
    log(`\n== ${n} Shop instance(s) behind HAProxy`);
    const env = {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: data.databaseUrl,
      REDIS_URL: data.redisUrl,
      DATA_DIR: data.dataDir,
      AUTH_SECRET: SECRET,
      CACHE_NAMESPACE: `scale${id}n${n}`,
      MESH_THREADS: "1",
      LOG_LEVEL: "error",
      SEED: "off",
      // A saturated 2-core machine under a benchmark is the point, not an overload to shed.
      HTTP_MAX_EVENT_LOOP_DELAY_MS: "0",
    };
    rows.push(await measureTier(n, env, spec, rounds));
  }
  const table = await writeScaleReport(opts.out, {
    startedAt: started.toISOString(),
    quick: opts.quick,
    products: data.products,
    roundSeconds,
    cores: cpus().length,
    loadAverage: loadavg()[0] as number,
    rows,
  });
  process.stdout.write(`\n${table}\n`);
}
