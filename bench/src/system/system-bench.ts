import { mkdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AUDIT_DEFAULTS } from "@printfab/cache";
import { migrateServices, openInfrastructure, resetData, SERVICES, seed, seedModels } from "@printfab/launcher";
import { createLogger, loadConfig } from "@printfab/platform";
import { Redis } from "ioredis";
import pg from "pg";
import { type CatalogueFigures, medianFigures, runCatalogue } from "./catalogue-rounds.ts";
import { type ModeFigures, measure } from "./measure.ts";
import { type Running, root, startSystem, stopChildrenOnExit, stopSystem } from "./processes.ts";
import { writeSystemReport } from "./report.ts";
import type { ScenarioSpec } from "./scenarios.ts";
import { runStrategies, type StrategyRow } from "./strategies.ts";

const SECRET = "printfab-bench-secret-0123456789";
export const SCENARIOS = ["catalogue", "orders", "spike", "cold", "quotes"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** What `--scenarios` may name: the scenarios, and the strategy table. */
export const PARTS = [...SCENARIOS, "strategies"] as const;
export type Part = (typeof PARTS)[number];
type Mode = "off" | "on";

export interface SystemResults {
  startedAt: string;
  quick: boolean;
  /** Wall-clock time of the whole run. */
  seconds: number;
  sizes: { products: number; customers: number; orders: number };
  /** The catalogue's figures here are the medians of its rounds (`catalogue` has each round). */
  scenarios: Partial<Record<ScenarioName, Record<Mode, ModeFigures>>>;
  catalogue?: CatalogueFigures;
  strategies: StrategyRow[];
}

export interface SystemBenchOptions {
  quick: boolean;
  out: string;
  resultsDir: string;
  /** Only these parts; all of them when absent. */
  parts?: Part[];
  /** Alternating catalogue rounds (off, on, traced, unaudited, limit each). */
  rounds: number;
  /** Products the warm step loads before the catalogue rounds; 0 skips it, absent means the whole catalogue. */
  warmProducts?: number;
}

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Says clearly what is missing, instead of failing half-way. */
async function checkPrerequisites(databaseUrl: string, redisUrl: string): Promise<void> {
  const admin = new URL(databaseUrl);
  const name = admin.pathname.slice(1);
  admin.pathname = "/postgres";
  const c = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${admin.host} (${(err as Error).message}); set BENCH_DATABASE_URL`);
  }
  const exists = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${name.replace(/[^a-z0-9_]/gi, "")}`);
  await c.end();
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on("error", () => {});
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    throw new Error(`Redis is not reachable at ${redisUrl} (${(err as Error).message}); set REDIS_URL`);
  } finally {
    r.disconnect();
  }
}

async function ensureData(env: Record<string, string>, sizes: SystemResults["sizes"]) {
  const config = loadConfig({ ...env, CACHE: "off" });
  const infra = await openInfrastructure(config, createLogger("warn"));
  try {
    await migrateServices(infra.db, SERVICES);
    const [p] = await infra.db.query<{ n: number }>("SELECT count(*) AS n FROM shop.products");
    const [o] = await infra.db.query<{ n: number }>("SELECT count(*) AS n FROM mes.orders WHERE status = 'created'");
    if ((p?.n ?? 0) === sizes.products && (o?.n ?? 0) >= 2000) {
      log(`data set in place (${sizes.products.toLocaleString("en-US")} products)`);
      return;
    }
    log(`seeding ${JSON.stringify(sizes)} (once; later runs reuse it)...`);
    await resetData(infra.db);
    let last = "";
    const progress = (phase: string, done: number, total: number) => {
      const line = `  ${phase} ${Math.floor((100 * done) / total)}%`;
      if (line !== last && (done === total || done % 20_000 === 0)) log(line);
      last = line;
    };
    await seed(infra.db, sizes, progress);
    await seedModels(infra.db, infra.objectStore, infra.meshPool, progress);
  } finally {
    await infra.close();
  }
}

/**
 * The environment of the services under test, and what the load generator needs to know of the data. A
 * data set of other sizes lives in a database and a folder of its own (named after `suffix`), so that each bench keeps
 * its own from run to run.
 */
export async function prepare(sizes: SystemResults["sizes"], suffix = "") {
  const url = new URL(process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/printfab_bench");
  if (suffix) url.pathname += `_${suffix}`;
  const databaseUrl = url.toString();
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  await checkPrerequisites(databaseUrl, redisUrl);
  const dataDir = join(root, "bench/.data", suffix);
  mkdirSync(dataDir, { recursive: true });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    DATA_DIR: dataDir,
    AUTH_SECRET: SECRET,
    MESH_THREADS: "1",
    DATABASE_POOL_SIZE: "20",
    // The load generator is one client on 127.0.0.1: the per-client upload limits would measure themselves.
    UPLOAD_RATE_PER_MINUTE: "1000000",
    UPLOAD_CONCURRENCY_PER_CLIENT: "1000",
    // A saturated 2-core machine under a benchmark is the point, not an overload to shed.
    HTTP_MAX_EVENT_LOOP_DELAY_MS: "0",
  };
  await ensureData(env, sizes);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const categories = (await db.query("SELECT DISTINCT category FROM shop.products ORDER BY 1")).rows.map(
    (r) => r.category as string,
  );
  const modelFiles = (
    await db.query("SELECT DISTINCT model_key FROM shop.products WHERE model_key IS NOT NULL LIMIT 8")
  ).rows.map((r) => join(dataDir, "objects", r.model_key as string));
  return { databaseUrl, redisUrl, sizes, env, db, categories, modelFiles };
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

interface Run {
  p: Prepared;
  opts: SystemBenchOptions;
  namespaces: Record<Mode, string>;
  /** The systems up at the moment, stopped by whoever ends the run. */
  systems: Partial<Record<Mode | "traced" | "unaudited", Running>>;
  scenarios: SystemResults["scenarios"];
}

/** The load generator's spec of a scenario for one mode's system. */
async function specFor(run: Run, scenario: ScenarioName, mode: Mode, urls: Running["urls"]): Promise<ScenarioSpec> {
  const { db, sizes, categories, modelFiles } = run.p;
  // Each mode tracks orders of its own, still 'created', so both start from the same state.
  const orders =
    scenario === "orders"
      ? (
          await db.query(
            "SELECT id, customer_id FROM mes.orders WHERE status = 'created' ORDER BY id LIMIT 1000 OFFSET $1",
            [mode === "off" ? 0 : 1000],
          )
        ).rows.map((r) => ({ id: Number(r.id), customerId: Number(r.customer_id) }))
      : [];
  const productCount = sizes.products;
  const common = { quick: run.opts.quick, secret: SECRET, productCount, categories, modelFiles };
  return { ...common, scenario, urls, orders, runId: run.namespaces[mode] };
}

/** What the report quotes of the cache-on system's configuration. */
const cacheSettings = (config: ReturnType<typeof loadConfig>) => ({
  productTtlSeconds: config.ttl.product,
  auditSettings: {
    writeRate: config.cacheAudit.writeRate ?? AUDIT_DEFAULTS.writeRate,
    readRate: config.cacheAudit.readRate ?? AUDIT_DEFAULTS.readRate,
    maxLoadShare: config.cacheAudit.maxLoadShare ?? AUDIT_DEFAULTS.maxLoadShare,
  },
});

async function catalogueScenario(run: Run): Promise<CatalogueFigures> {
  const { p, opts, namespaces, systems } = run;
  log(
    "\n== catalogue: CACHE=off, cache on, cache on and traced, cache on unaudited, and the limit server, in alternating rounds",
  );
  const on = await startSystem(p.env, "on", namespaces.on);
  systems.on = on;
  const off = await startSystem(p.env, "off", namespaces.off);
  systems.off = off;
  // Spans made and dropped: what tracing costs the services themselves, whatever a collector would add.
  const traced = await startSystem({ ...p.env, TRACING: "on" }, "on", namespaces.on);
  systems.traced = traced;
  // The auditor's sampling off, nothing else changed: what its checks cost at the default rates.
  const unaudited = await startSystem(
    { ...p.env, CACHE_AUDIT_WRITE_RATE: "0", CACHE_AUDIT_READ_RATE: "0" },
    "on",
    namespaces.on,
  );
  systems.unaudited = unaudited;
  const catalogue = await runCatalogue({
    systems: { off, on, traced, unaudited },
    spec: await specFor(run, "catalogue", "on", on.urls),
    rounds: opts.rounds,
    warmProducts: opts.warmProducts ?? p.sizes.products,
    redisUrl: p.redisUrl,
    namespace: namespaces.on,
    ...cacheSettings(loadConfig({ ...p.env, CACHE: "on" })),
  });
  // The other scenarios run one system at a time (see otherScenarios).
  delete systems.traced;
  delete systems.unaudited;
  await Promise.all([stopSystem(traced), stopSystem(unaudited)]);
  run.scenarios.catalogue = {
    off: medianFigures(catalogue.rounds.map((r) => r.off)),
    on: medianFigures(catalogue.rounds.map((r) => r.on)),
  };
  return catalogue;
}

/** The scenarios other than the catalogue: one run per mode, the cache-on system going on from the catalogue's state. */
async function otherScenarios(run: Run, names: ScenarioName[]): Promise<void> {
  const { p, namespaces, systems } = run;
  for (const mode of ["on", "off"] as const) {
    // One system at a time from here: two MES processes would relay each other's outbox rows, each to its
    // own cache namespace, and the orders scenario would read stale states that no deployment has.
    const other = mode === "on" ? "off" : "on";
    const up = systems[other];
    delete systems[other];
    if (up) await stopSystem(up);
    if (names.length === 0) continue;
    log(`\n== CACHE=${mode}: Shop, CRM and MES`);
    const system = systems[mode] ?? (await startSystem(p.env, mode, namespaces[mode]));
    systems[mode] = system;
    for (const scenario of names) {
      log(`  ${scenario}...`);
      const spec = await specFor(run, scenario, mode, system.urls);
      const { figures } = await measure(system, spec);
      const modes = run.scenarios[scenario] ?? ({} as Record<Mode, ModeFigures>);
      modes[mode] = figures;
      run.scenarios[scenario] = modes;
      log(
        `    ${figures.result.rps} req/s, p99 ${figures.result.p99} ms, ${figures.dbQueriesPerRequest.toFixed(3)} DB q/req`,
      );
    }
  }
}

export async function runSystemBench(opts: SystemBenchOptions) {
  stopChildrenOnExit();
  const started = performance.now();
  const p = await prepare(
    opts.quick
      ? { products: 20_000, customers: 2_000, orders: 40_000 }
      : { products: 100_000, customers: 10_000, orders: 200_000 },
  );
  const wanted = (part: Part) => !opts.parts || opts.parts.includes(part);
  const id = Date.now().toString(36);
  const run: Run = { p, opts, namespaces: { off: `bench${id}off`, on: `bench${id}on` }, systems: {}, scenarios: {} };
  const startedAt = new Date().toISOString();
  let catalogue: CatalogueFigures | undefined;
  try {
    if (wanted("catalogue")) catalogue = await catalogueScenario(run);
    const others = SCENARIOS.filter((s) => s !== "catalogue" && wanted(s));
    await otherScenarios(run, others);
  } finally {
    await Promise.all(Object.values(run.systems).map(stopSystem));
    await p.db.end();
  }
  let strategies: StrategyRow[] = [];
  if (wanted("strategies")) {
    log("\n== strategies (engine over Redis and PostgreSQL)...");
    strategies = await runStrategies({ databaseUrl: p.databaseUrl, redisUrl: p.redisUrl, quick: opts.quick });
  }
  const seconds = (performance.now() - started) / 1000;
  const results: SystemResults = {
    startedAt,
    quick: opts.quick,
    seconds,
    sizes: p.sizes,
    scenarios: run.scenarios,
    catalogue,
    strategies,
  };
  await writeFile(join(opts.resultsDir, `${startedAt.replace(/[:.]/g, "-")}.json`), JSON.stringify(results, null, 2));
  const table = await writeSystemReport(results, opts.out);
  process.stdout.write(`\n${table}\n`);
}
