import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runNode, startSystem, stopChildrenOnExit, stopSystem } from "../system/processes.ts";
import { prepare } from "../system/system-bench.ts";
import { runWarmStep } from "../system/warm-step.ts";
import type { CostLoadResult, CostLoadSpec } from "./load-worker.ts";
import { counterDelta, type MeasuredShop, type ShopCounters, shopCounters, startShop } from "./measured-shop.ts";
import { type AuditCostResults, type CostRound, writeAuditCostReport } from "./report.ts";
import { SUBJECTS, type Subject } from "./subjects.ts";

export interface AuditCostOptions {
  rounds: number;
  /** Seconds of load per round. */
  seconds: number;
  out: string;
  resultsDir: string;
}

const worker = fileURLToPath(new URL("./load-worker.ts", import.meta.url));
/** The catalogue's data set: the system bench's --quick sizes, in a database and folder of its own. */
const SIZES = { products: 20_000, customers: 2_000, orders: 40_000 };
/** Per Shop, as many as the system bench gives its one Shop, split four ways: together they keep both cores busy. */
const CONNECTIONS = 8;
/** Unmeasured load first in each round: JIT, pools and every Shop's L1 warm. */
const WARM_UP_MS = 15_000;
/**
 * The same seed in every round and for every Shop: each answers the same requests in the same order. The
 * warm-up draws from another, so that the counted requests meet the L1 a Zipf mix leaves, not a replay.
 */
const SEED = 20261126;

const log = (s: string) => process.stderr.write(`${s}\n`);

/** L2 warmed once for every Shop, as a deploy's warm step would (the catalogue scenario's cache is warm). */
async function warmL2(env: Record<string, string>, namespace: string, redisUrl: string): Promise<void> {
  const system = await startSystem(env, "on", namespace);
  try {
    const { step } = await runWarmStep({ shopUrl: system.urls.shop, products: SIZES.products, redisUrl, namespace });
    log(`  warm step: ${step.status}, ${step.keysWarmed.toLocaleString("en-US")} keys in ${step.seconds.toFixed(0)} s`);
    if (step.status !== "ran") throw new Error(step.message);
  } finally {
    await stopSystem(system);
  }
}

type LoadBase = Omit<CostLoadSpec, "shops" | "durationMs">;

/** Every Shop under the same load at once, so that whatever the machine does touches them alike. */
async function loadAll(shops: MeasuredShop[], base: LoadBase, durationMs: number) {
  const spec: CostLoadSpec = { ...base, shops: shops.map((s) => s.url), durationMs };
  return JSON.parse(await runNode([worker, JSON.stringify(spec)])) as CostLoadResult[];
}

/**
 * Round r puts subject (i + r) mod 4 in the i-th Shop: the order they start in and are sent to moves by one
 * each round, so that no subject keeps whatever a place costs. Fresh Shops each round, warmed before the count.
 */
async function round(r: number, env: Record<string, string>, namespace: string, base: LoadBase, seconds: number) {
  const subjects = SUBJECTS.map((_, i) => SUBJECTS[(i + r) % SUBJECTS.length] as Subject);
  const shops = await Promise.all(subjects.map((s) => startShop({ ...env, ...s.env }, namespace)));
  try {
    await loadAll(shops, { ...base, seed: base.seed + 1 }, WARM_UP_MS);
    const before = await Promise.all(shops.map((s) => shopCounters(s.url)));
    const load = await loadAll(shops, base, seconds * 1000);
    const after = await Promise.all(shops.map((s) => shopCounters(s.url)));
    return subjects.map((subject, i) => ({
      subject: subject.name,
      ...(load[i] as CostLoadResult),
      counters: counterDelta(before[i] as ShopCounters, after[i] as ShopCounters),
    }));
  } finally {
    await Promise.all(shops.map((s) => s.stop()));
  }
}

export async function runAuditCostBench(opts: AuditCostOptions): Promise<void> {
  stopChildrenOnExit();
  const startedAt = new Date().toISOString();
  const p = await prepare(SIZES, "audit");
  await p.db.end();
  const namespace = `ac${Date.now().toString(36)}`;
  await warmL2(p.env, namespace, p.redisUrl);
  const rounds: CostRound[] = [];
  const base: LoadBase = {
    connections: CONNECTIONS,
    seed: SEED,
    productCount: SIZES.products,
    categories: p.categories,
  };
  for (let r = 0; r < opts.rounds; r++) {
    const runs = await round(r, p.env, namespace, base, opts.seconds);
    rounds.push({ runs });
    const us = (x: (typeof runs)[number]) => ((1e6 * x.counters.cpuSeconds) / Math.max(1, x.requests)).toFixed(0);
    log(
      `  round ${r + 1}: ${runs.map((x) => `${x.subject} ${us(x)} µs CPU/request (${x.counters.checks} checks)`).join(", ")}`,
    );
  }
  const results: AuditCostResults = {
    startedAt,
    sizes: SIZES,
    seconds: opts.seconds,
    connections: CONNECTIONS,
    rounds,
  };
  await writeFile(join(opts.resultsDir, `audit-cost-${startedAt.replace(/[:.]/g, "-")}.json`), JSON.stringify(results));
  process.stdout.write(`\n${await writeAuditCostReport(results, opts.out)}\n`);
}
