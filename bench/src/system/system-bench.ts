import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { migrateServices, openInfrastructure, resetData, SERVICES, seed, seedModels } from "@printfab/launcher";
import { createLogger, loadConfig } from "@printfab/platform";
import { freePort } from "@printfab/testkit";
import { Redis } from "ioredis";
import pg from "pg";
import { scrape, sum } from "./metrics-scrape.ts";
import { writeSystemReport } from "./report.ts";
import type { ScenarioResult, ScenarioSpec } from "./scenarios.ts";
import { runStrategies, type StrategyRow } from "./strategies.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../..", import.meta.url));
const main = join(root, "services/launcher/src/main.ts");
const worker = fileURLToPath(new URL("./load-worker.ts", import.meta.url));
const SECRET = "printfab-bench-secret-0123456789";
const SCENARIOS = ["catalogue", "orders", "spike", "cold", "quotes"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ModeFigures {
  result: ScenarioResult;
  dbQueriesPerRequest: number;
  s3RequestsPerRequest: number;
  s3GetsPerPreview: number;
  loads: number;
  hitRatio: number;
  cpuSeconds: number;
}

export interface SystemResults {
  startedAt: string;
  quick: boolean;
  sizes: { products: number; customers: number; orders: number };
  scenarios: Record<ScenarioName, { off: ModeFigures; on: ModeFigures }>;
  strategies: StrategyRow[];
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

interface Running {
  urls: { shop: string; crm: string; mes: string };
  procs: ChildProcess[];
}

async function startSystem(env: Record<string, string>, cache: "on" | "off", namespace: string): Promise<Running> {
  const ports = { shop: await freePort(), crm: await freePort(), mes: await freePort() };
  const urls = {
    shop: `http://127.0.0.1:${ports.shop}`,
    crm: `http://127.0.0.1:${ports.crm}`,
    mes: `http://127.0.0.1:${ports.mes}`,
  };
  const procs = (["mes", "shop", "crm"] as const).map((service) =>
    spawn(process.execPath, ["--import", "tsx", main], {
      env: {
        ...env,
        SERVICE: service,
        CACHE: cache,
        CACHE_NAMESPACE: namespace,
        SHOP_PORT: String(ports.shop),
        CRM_PORT: String(ports.crm),
        MES_PORT: String(ports.mes),
        LOG_LEVEL: "error",
        SEED: "off",
      },
      stdio: ["ignore", "ignore", "inherit"],
    }),
  );
  const deadline = Date.now() + 60_000;
  for (const url of Object.values(urls)) {
    while (
      !(await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error(`${url} did not start`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { urls, procs };
}

async function stopSystem(s: Running) {
  await Promise.all(
    s.procs.map(
      (p) =>
        new Promise<void>((r) => {
          if (p.exitCode !== null) return r();
          p.once("exit", () => r());
          p.kill("SIGTERM");
        }),
    ),
  );
}

/** The services whose DB queries a scenario's requests cause (the outbox relays count as <service>-outbox). */
const SERVED_BY: Record<ScenarioName, Array<"shop" | "crm" | "mes">> = {
  catalogue: ["shop"],
  orders: ["shop", "mes"],
  spike: ["shop"],
  cold: ["shop"],
  quotes: ["shop", "mes"],
};

const runWorker = async (spec: ScenarioSpec) =>
  JSON.parse(
    (await run(process.execPath, ["--import", "tsx", worker, JSON.stringify(spec)], { maxBuffer: 64 * 1024 * 1024 }))
      .stdout,
  ) as ScenarioResult;

async function measure(s: Running, spec: ScenarioSpec): Promise<ModeFigures> {
  // Steady state is what the catalogue claims are about: the caches are warmed by the same traffic first.
  if (spec.scenario === "catalogue") await runWorker({ ...spec, warmUp: true });
  const before = await Promise.all(Object.values(s.urls).map(scrape));
  const result = await runWorker(spec);
  const after = await Promise.all(Object.values(s.urls).map(scrape));
  const delta = (prefix: string, ...filters: string[]) =>
    after.reduce(
      (acc, m, i) => acc + sum(m, prefix, ...filters) - sum(before[i] as Map<string, number>, prefix, ...filters),
      0,
    );
  const requests = Math.max(1, result.requests);
  const served = SERVED_BY[spec.scenario];
  const dbQueries = served.reduce((acc, service) => acc + delta("db_queries_total", `service="${service}"`), 0);
  const hits = delta("cache_requests_total", 'result="hit_l1"') + delta("cache_requests_total", 'result="hit_l2"');
  const lookups =
    hits + delta("cache_requests_total", 'result="miss"') + delta("cache_requests_total", 'result="bypass"');
  const previews = spec.scenario === "catalogue" ? requests * 0.15 : 0;
  return {
    result,
    dbQueriesPerRequest: dbQueries / requests,
    s3RequestsPerRequest: delta("object_store_requests_total") / requests,
    s3GetsPerPreview: previews ? delta("object_store_requests_total", 'op="get"') / previews : 0,
    loads: delta("cache_loads_total") || delta("cache_requests_total", 'result="bypass"'),
    hitRatio: lookups ? hits / lookups : 0,
    cpuSeconds: delta("process_cpu_seconds_total"),
  };
}

export async function runSystemBench(opts: { quick: boolean; out: string; resultsDir: string }) {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/printfab_bench";
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  await checkPrerequisites(databaseUrl, redisUrl);
  const sizes = opts.quick
    ? { products: 20_000, customers: 2_000, orders: 40_000 }
    : { products: 100_000, customers: 10_000, orders: 200_000 };
  const dataDir = join(root, "bench/.data");
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

  const startedAt = new Date().toISOString();
  const scenarios = {} as SystemResults["scenarios"];
  for (const mode of ["off", "on"] as const) {
    const namespace = `bench${Date.now().toString(36)}${mode}`;
    log(`\n== CACHE=${mode}: starting Shop, CRM and MES`);
    const system = await startSystem(env, mode, namespace);
    try {
      for (const scenario of SCENARIOS) {
        // Each mode tracks orders of its own, still 'created', so both start from the same state.
        const orders = (
          await db.query(
            "SELECT id, customer_id FROM mes.orders WHERE status = 'created' ORDER BY id LIMIT 1000 OFFSET $1",
            [mode === "off" ? 0 : 1000],
          )
        ).rows.map((r) => ({ id: Number(r.id), customerId: Number(r.customer_id) }));
        log(`  ${scenario}...`);
        const figures = await measure(system, {
          scenario,
          quick: opts.quick,
          urls: system.urls,
          secret: SECRET,
          productCount: sizes.products,
          categories,
          orders,
          modelFiles,
          runId: namespace,
        });
        scenarios[scenario] ??= {} as { off: ModeFigures; on: ModeFigures };
        scenarios[scenario][mode] = figures;
        log(
          `    ${figures.result.rps} req/s, p99 ${figures.result.p99} ms, ${figures.dbQueriesPerRequest.toFixed(3)} DB queries/request`,
        );
      }
    } finally {
      await stopSystem(system);
    }
  }
  await db.end();
  log("\n== strategies (engine over Redis and PostgreSQL)...");
  const strategies = await runStrategies({ databaseUrl, redisUrl, quick: opts.quick });
  const results: SystemResults = { startedAt, quick: opts.quick, sizes, scenarios, strategies };
  await writeFile(join(opts.resultsDir, `${startedAt.replace(/[:.]/g, "-")}.json`), JSON.stringify(results, null, 2));
  const table = await writeSystemReport(results, opts.out);
  process.stdout.write(`\n${table}\n`);
}
