import { fileURLToPath } from "node:url";
import { scrape, sum } from "./metrics-scrape.ts";
import { type Running, runNode, SERVICE_NAMES, type Service } from "./processes.ts";
import type { ScenarioResult, ScenarioSpec } from "./scenarios.ts";

const worker = fileURLToPath(new URL("./load-worker.ts", import.meta.url));

export interface ModeFigures {
  result: ScenarioResult;
  dbQueriesPerRequest: number;
  s3RequestsPerRequest: number;
  s3GetsPerPreview: number;
  loads: number;
  hitRatio: number;
  cpuSeconds: number;
  /** Each service's event-loop delay p99 over the load, as prom-client reads it (its 10 ms sampling included). */
  eventLoopP99Ms: Record<Service, number>;
  /**
   * The services' consistency auditor over the load (docs/consistency.md): its verdicts and violations;
   * absent from the catalogue's medians, which keep each round's.
   */
  consistency?: { checks: number; violations: number };
}

/** How much a counter, summed over the services, grew during a load (see `sum` for the filters). */
export type Delta = (prefix: string, ...filters: string[]) => number;

/** The services whose DB queries a scenario's requests cause (the outbox relays count as <service>-outbox). */
const SERVED_BY: Record<ScenarioSpec["scenario"], Service[]> = {
  catalogue: ["shop"],
  orders: ["shop", "mes"],
  spike: ["shop"],
  cold: ["shop"],
  quotes: ["shop", "mes"],
  models: ["shop"],
};

/** The load generator in a process of its own, so that it does not share an event loop with what it measures. */
export async function runWorker(spec: ScenarioSpec): Promise<ScenarioResult> {
  return JSON.parse(await runNode([worker, JSON.stringify(spec)])) as ScenarioResult;
}

/** The counters of a system's services at one moment, in SERVICE_NAMES' order. */
export type Counters = Array<Map<string, number>>;

export async function scrapeAll(s: Running): Promise<Counters> {
  return Promise.all(SERVICE_NAMES.map((service) => scrape(s.urls[service])));
}

/** How much each counter grew from `before` to `after`, summed over the services. */
export function deltaOf(before: Counters, after: Counters): Delta {
  return (prefix, ...filters) =>
    after.reduce((acc, m, i) => acc + sum(m, prefix, ...filters) - sum(before[i] ?? new Map(), prefix, ...filters), 0);
}

/**
 * Runs a scenario's load against a system and reads the services' counters before and after. The
 * catalogue's keys come back apart from the figures, which are kept.
 */
export async function measure(
  s: Running,
  spec: ScenarioSpec,
): Promise<{ figures: ModeFigures; keys: string[]; delta: Delta }> {
  const before = await scrapeAll(s);
  const { keys = [], ...result } = await runWorker({ ...spec, scrapeFirst: Object.values(s.urls) });
  const after = await scrapeAll(s);
  const delta = deltaOf(before, after);
  const requests = Math.max(1, result.requests);
  const dbQueries = SERVED_BY[spec.scenario].reduce(
    (acc, service) => acc + delta("db_queries_total", `service="${service}"`),
    0,
  );
  const hits = delta("cache_requests_total", 'result="hit_l1"') + delta("cache_requests_total", 'result="hit_l2"');
  const lookups =
    hits + delta("cache_requests_total", 'result="miss"') + delta("cache_requests_total", 'result="bypass"');
  const previews = spec.scenario === "catalogue" ? requests * 0.15 : 0;
  const eventLoopP99Ms = Object.fromEntries(
    SERVICE_NAMES.map((service, i) => [service, 1000 * sum(after[i] ?? new Map(), "nodejs_eventloop_lag_p99_seconds")]),
  ) as Record<Service, number>;
  const figures: ModeFigures = {
    result,
    dbQueriesPerRequest: dbQueries / requests,
    s3RequestsPerRequest: delta("object_store_requests_total") / requests,
    s3GetsPerPreview: previews ? delta("object_store_requests_total", 'op="get"') / previews : 0,
    loads: delta("cache_loads_total") || delta("cache_requests_total", 'result="bypass"'),
    hitRatio: lookups ? hits / lookups : 0,
    cpuSeconds: delta("process_cpu_seconds_total"),
    eventLoopP99Ms,
    consistency: {
      checks: delta("cache_consistency_checks_total"),
      violations: delta("cache_consistency_violations_total"),
    },
  };
  return { figures, keys, delta };
}
