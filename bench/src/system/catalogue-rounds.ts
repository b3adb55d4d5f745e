import { spread } from "../stats.ts";
import { type AuditFigures, type AuditSettings, auditWindow } from "./audit-window.ts";
import { captureAnswers, type LimitAnswers, type Shape, startLimitServer } from "./limit-row.ts";
import { type Delta, type ModeFigures, measure, runWorker } from "./measure.ts";
import type { Running } from "./processes.ts";
import { catalogueSeconds, type ScenarioResult, type ScenarioSpec } from "./scenarios.ts";
import { runWarmStep, type WarmStep } from "./warm-step.ts";

/** What the cache-on Shop's DB queries in a run were spent on. */
export interface Misses {
  requests: number;
  /** The Shop's own DB queries (its outbox relay's are counted apart). */
  dbQueries: number;
  /** Loader runs of the catalogue cache: a list page or a product read from the database. */
  loads: number;
  /** Keys asked for the first time since the Shop started (nor loaded by the warm step): loads no cache avoids. */
  coldKeys: number;
}

export interface CatalogueRound {
  off: ModeFigures;
  on: ModeFigures;
  /** Cache on, with TRACING=on and no endpoint: every span made, none exported (the SDK's own cost). */
  traced: ModeFigures;
  /** Cache on with the consistency auditor's sampling off (both rates 0): what the auditor costs. */
  unaudited: ModeFigures;
  limit: ScenarioResult;
  onMisses: Misses;
}

/** A run of model downloads alone against one system: what each download cost the object store. */
export interface ModelDownloads {
  downloads: number;
  rps: number;
  errors: number;
  s3Gets: number;
  s3GetsPerDownload: number;
}

export interface CatalogueFigures {
  roundSeconds: number;
  rounds: CatalogueRound[];
  warm: WarmStep;
  /** The cache-on Shop's short traffic warm-up before the rounds (JIT, pools), not measured. */
  warmUp: Misses;
  /** The cache-on system's auditor from the first round to the last's end, its last verdicts included. */
  audit: AuditFigures;
  limit: { fastify: string; answers: Array<{ shape: Shape; bytes: number; headers: string[] }> };
  /** The products' cache TTL, against which the run's length is short. */
  productTtlSeconds: number;
  /** The cache-on system's auditor settings (its defaults: the bench sets none). */
  auditSettings: AuditSettings;
  /** Model downloads alone, after the rounds, with the cache off and on. */
  models: { off: ModelDownloads; on: ModelDownloads };
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const fmt = (v: number) => Math.round(v).toLocaleString("en-US");

/** Keys already loaded once: a key's first request costs a query whatever the cache does. */
class KeyLedger {
  readonly #seen = new Set<string>();
  add(keys: Iterable<string>): number {
    let fresh = 0;
    for (const k of keys)
      if (!this.#seen.has(k)) {
        this.#seen.add(k);
        fresh++;
      }
    return fresh;
  }
}

function misses(result: ScenarioResult, keys: string[], delta: Delta, ledger: KeyLedger): Misses {
  return {
    requests: result.requests,
    dbQueries: delta("db_queries_total", 'service="shop"'),
    loads: delta("cache_loads_total", 'cache="shop_catalogue"'),
    coldKeys: ledger.add(keys),
  };
}

export interface CatalogueOptions {
  /**
   * `traced` and `unaudited` share the cache-on system's namespace: their L2 is as warm, their L1 warmed as
   * the others'.
   */
  systems: { off: Running; on: Running; traced: Running; unaudited: Running };
  spec: ScenarioSpec;
  rounds: number;
  /** Products for the warm step; 0 skips it. */
  warmProducts: number;
  redisUrl: string;
  /** The cache-on system's CACHE_NAMESPACE. */
  namespace: string;
  productTtlSeconds: number;
  auditSettings: AuditSettings;
}

/** The warm step, as a deploy would run it; the keys it loaded are no first requests for the rounds. */
async function warmStep(opts: CatalogueOptions, ledger: KeyLedger): Promise<WarmStep> {
  const { redisUrl, namespace, warmProducts: products } = opts;
  const warm = products
    ? await runWarmStep({ shopUrl: opts.systems.on.urls.shop, products, redisUrl, namespace })
    : { step: skipped("--no-warm: the catalogue rounds start with a cold cache"), keys: [] };
  const { status, message, dbQueries, keysWarmed, seconds } = warm.step;
  log(`  warm step: ${status}${message ? ` (${message})` : ""}`);
  if (status !== "skipped") log(`    ${fmt(dbQueries)} DB queries, ${fmt(keysWarmed)} keys, ${seconds.toFixed(1)} s`);
  ledger.add(warm.keys);
  return warm.step;
}

/**
 * An unmeasured warm-up of each (JIT, pools), then the rounds: off, on, traced, unaudited, limit, off, on, ...
 * The cache-on system's auditor is read over the rounds: its last samples get their verdicts while the
 * others run, a round's length being well past the auditor's delay and bound.
 */
async function alternate(opts: CatalogueOptions, limitUrl: string, ledger: KeyLedger) {
  const { off, on, traced, unaudited } = opts.systems;
  const spec = (s: Running | string, warmUp = false): ScenarioSpec => ({
    ...opts.spec,
    scenario: "catalogue",
    warmUp,
    urls: typeof s === "string" ? { ...on.urls, shop: s } : s.urls,
  });
  await measure(off, spec(off, true));
  const onWarm = await measure(on, spec(on, true));
  const warmUp = misses(onWarm.figures.result, onWarm.keys, onWarm.delta, ledger);
  // The keys the traced and unaudited Shops meet first they load into the shared L2: no first requests for
  // the cache-on Shop.
  ledger.add((await measure(traced, spec(traced, true))).keys);
  ledger.add((await measure(unaudited, spec(unaudited, true))).keys);
  await runWorker(spec(limitUrl, true));
  const audit = await auditWindow(on);
  const rounds: CatalogueRound[] = [];
  for (let i = 1; i <= opts.rounds; i++) {
    const offRun = await measure(off, spec(off));
    const onRun = await measure(on, spec(on));
    const onMisses = misses(onRun.figures.result, onRun.keys, onRun.delta, ledger);
    const tracedRun = await measure(traced, spec(traced));
    ledger.add(tracedRun.keys);
    const unauditedRun = await measure(unaudited, spec(unaudited));
    ledger.add(unauditedRun.keys);
    const { keys: _, ...limit } = await runWorker(spec(limitUrl));
    const [o, t, u] = [onRun.figures, tracedRun.figures, unauditedRun.figures];
    rounds.push({ off: offRun.figures, on: o, traced: t, unaudited: u, limit, onMisses });
    log(
      `    round ${i}: off ${fmt(offRun.figures.result.rps)}, on ${fmt(o.result.rps)}, traced ${fmt(t.result.rps)}, unaudited ${fmt(u.result.rps)}, limit ${fmt(limit.rps)} req/s; on p99 ${o.result.p99} ms, limit p99 ${limit.p99} ms; ${o.dbQueriesPerRequest.toFixed(4)} DB q/req; auditor ${fmt(o.consistency?.checks ?? 0)} checks, ${fmt(o.consistency?.violations ?? 0)} violations`,
    );
  }
  return { warmUp, rounds, audit: await audit.close() };
}

/** Model downloads alone on one system (the rounds mix them with the rest, whose S3 GETs they would share). */
async function modelDownloads(system: Running, spec: ScenarioSpec): Promise<ModelDownloads> {
  const { figures, delta } = await measure(system, { ...spec, scenario: "models", urls: system.urls });
  const { requests, rps, errors, non2xx } = figures.result;
  const s3Gets = delta("object_store_requests_total", 'op="get"');
  return {
    downloads: requests,
    rps,
    errors: errors + non2xx,
    s3Gets,
    s3GetsPerDownload: s3Gets / Math.max(1, requests),
  };
}

async function modelRuns(opts: CatalogueOptions): Promise<CatalogueFigures["models"]> {
  const off = await modelDownloads(opts.systems.off, opts.spec);
  const on = await modelDownloads(opts.systems.on, opts.spec);
  log(
    `  model downloads: ${on.s3GetsPerDownload.toFixed(4)} S3 GETs each with cache, ${off.s3GetsPerDownload.toFixed(2)} off (${fmt(on.rps)} vs ${fmt(off.rps)} req/s)`,
  );
  return { off, on };
}

/**
 * The catalogue in alternating rounds after a warm step on the cache-on Shop: the machine's drift touches
 * the five alike, and each ratio is taken within a round.
 */
export async function runCatalogue(opts: CatalogueOptions): Promise<CatalogueFigures> {
  const ledger = new KeyLedger();
  const warm = await warmStep(opts, ledger);
  const category = opts.spec.categories[0] as string;
  const answers = await captureAnswers(opts.systems.on.urls.shop, category);
  ledger.add(["product:1", `list:${category}:20:0`]);
  const limit = await startLimitServer(answers);
  try {
    const { warmUp, rounds, audit } = await alternate(opts, limit.url, ledger);
    const models = await modelRuns(opts);
    const shapes = Object.entries(answers) as Array<[Shape, LimitAnswers[Shape]]>;
    return {
      roundSeconds: catalogueSeconds(opts.spec.quick),
      productTtlSeconds: opts.productTtlSeconds,
      auditSettings: opts.auditSettings,
      rounds,
      warm,
      warmUp,
      audit,
      models,
      limit: {
        fastify: limit.fastify,
        answers: shapes.map(([shape, a]) => ({ shape, bytes: a.body.byteLength, headers: Object.keys(a.headers) })),
      },
    };
  } finally {
    await limit.stop();
  }
}

const skipped = (message: string): WarmStep => ({
  status: "skipped",
  message,
  products: 0,
  seconds: 0,
  dbQueries: 0,
  keysWarmed: 0,
});

/** One set of figures standing for the rounds in the overall table: each figure's median, errors summed. */
export function medianFigures(list: ModeFigures[]): ModeFigures {
  const med = (f: (x: ModeFigures) => number) => spread(list.map(f)).median;
  const total = (f: (x: ModeFigures) => number) => list.reduce((acc, x) => acc + f(x), 0);
  const typical = [...list].sort((a, b) => a.result.rps - b.result.rps)[list.length >> 1] as ModeFigures;
  return {
    result: {
      ...typical.result,
      requests: med((x) => x.result.requests),
      rps: med((x) => x.result.rps),
      p50: med((x) => x.result.p50),
      p99: med((x) => x.result.p99),
      p999: med((x) => x.result.p999),
      errors: total((x) => x.result.errors),
      non2xx: total((x) => x.result.non2xx),
    },
    dbQueriesPerRequest: med((x) => x.dbQueriesPerRequest),
    s3RequestsPerRequest: med((x) => x.s3RequestsPerRequest),
    s3GetsPerPreview: med((x) => x.s3GetsPerPreview),
    loads: med((x) => x.loads),
    hitRatio: med((x) => x.hitRatio),
    cpuSeconds: med((x) => x.cpuSeconds),
    eventLoopP99Ms: {
      shop: med((x) => x.eventLoopP99Ms.shop),
      crm: med((x) => x.eventLoopP99Ms.crm),
      mes: med((x) => x.eventLoopP99Ms.mes),
    },
  };
}
