import type { FastifyRequest } from "fastify";
import type { MetricObjectWithValues, MetricValue } from "prom-client";
import { type Static, Type } from "typebox";
import type { Auth } from "./auth.ts";
import type { CacheFactory } from "./cache-factory.ts";
import { forbidden } from "./errors.ts";
import type { HttpApp } from "./http-app.ts";
import type { PlatformMetrics } from "./metrics.ts";
import { authenticateRequest } from "./request-auth.ts";
import { errorResponses } from "./schemas.ts";

type Metric = MetricObjectWithValues<MetricValue<string> & { metricName?: string }>;

const CACHE_RESULTS = ["hit_l1", "hit_l2", "miss", "stale", "bypass"] as const;

const CacheStatsSchema = Type.Object({
  name: Type.String(),
  hitL1: Type.Number(),
  hitL2: Type.Number(),
  miss: Type.Number(),
  stale: Type.Number(),
  bypass: Type.Number(),
  loads: Type.Number(),
  loadErrors: Type.Number(),
  invalidations: Type.Number(),
  checks: Type.Number(),
  violations: Type.Number(),
});

export const OpsStatsSchema = Type.Object({
  service: Type.String(),
  at: Type.String({ format: "date-time" }),
  startedAt: Type.String({ format: "date-time" }),
  caches: Type.Array(CacheStatsSchema),
  db: Type.Object({ queries: Type.Number() }),
  objectStore: Type.Object({ get: Type.Number(), put: Type.Number(), head: Type.Number(), delete: Type.Number() }),
  http: Type.Object({
    requests: Type.Number(),
    buckets: Type.Array(Type.Object({ le: Type.Union([Type.Number(), Type.Null()]), count: Type.Number() })),
  }),
  outbox: Type.Object({
    pending: Type.Number(),
    lagSeconds: Type.Object({ count: Type.Number(), sum: Type.Number() }),
  }),
  redis: Type.Object({
    kind: Type.String(),
    breaker: Type.Union([Type.String(), Type.Null()]),
    bus: Type.Union([Type.Literal("up"), Type.Literal("down"), Type.Null()]),
  }),
});

export type OpsStats = {
  caches: Array<Static<typeof CacheStatsSchema>>;
  db: { queries: number };
  objectStore: { get: number; put: number; head: number; delete: number };
  http: { requests: number; buckets: Array<{ le: number | null; count: number }> };
  outbox: { pending: number; lagSeconds: { count: number; sum: number } };
};

/** Sums the values of `name` (a counter, gauge or histogram series) whose labels match. */
function sum(metrics: Map<string, Metric>, name: string, labels: Record<string, string>, series = name): number {
  let total = 0;
  for (const v of metrics.get(name)?.values ?? []) {
    if ((v.metricName ?? name) !== series) continue;
    if (Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l)) total += v.value;
  }
  return total;
}

const names = (metrics: Map<string, Metric>, name: string, label: string) =>
  new Set((metrics.get(name)?.values ?? []).map((v) => String(v.labels[label])));

/**
 * The dashboard's numbers, from the process's registry: cumulative counts since the start, which the page
 * turns into rates between two polls. Pure, so that it is tested on a registry filled by hand.
 */
export function summarizeMetrics(list: Metric[], service: string): OpsStats {
  const metrics = new Map(list.map((m) => [m.name, m]));
  const cacheNames = new Set([
    ...names(metrics, "cache_requests_total", "cache"),
    ...names(metrics, "cache_loads_total", "cache"),
  ]);
  const caches = [...cacheNames].sort().map((cache) => {
    const results = Object.fromEntries(
      CACHE_RESULTS.map((r) => [r, sum(metrics, "cache_requests_total", { cache, result: r })]),
    ) as Record<(typeof CACHE_RESULTS)[number], number>;
    return {
      name: cache,
      hitL1: results.hit_l1,
      hitL2: results.hit_l2,
      miss: results.miss,
      stale: results.stale,
      bypass: results.bypass,
      loads: sum(metrics, "cache_loads_total", { cache }),
      loadErrors: sum(metrics, "cache_load_errors_total", { cache }),
      invalidations: sum(metrics, "cache_invalidations_total", { cache }),
      checks: sum(metrics, "cache_consistency_checks_total", { cache }),
      violations: sum(metrics, "cache_consistency_violations_total", { cache }),
    };
  });
  const les = new Map<number | null, number>();
  for (const v of metrics.get("http_request_duration_seconds")?.values ?? []) {
    if (v.metricName !== "http_request_duration_seconds_bucket" || v.labels.service !== service) continue;
    const le = v.labels.le === "+Inf" ? null : Number(v.labels.le);
    les.set(le, (les.get(le) ?? 0) + v.value);
  }
  const buckets = [...les]
    .map(([le, count]) => ({ le, count }))
    .sort((a, b) => (a.le ?? Infinity) - (b.le ?? Infinity));
  const lag = "outbox_relay_lag_seconds";
  return {
    caches,
    db: { queries: sum(metrics, "db_queries_total", { service }) },
    objectStore: {
      get: sum(metrics, "object_store_requests_total", { op: "get" }),
      put: sum(metrics, "object_store_requests_total", { op: "put" }),
      head: sum(metrics, "object_store_requests_total", { op: "head" }),
      delete: sum(metrics, "object_store_requests_total", { op: "delete" }),
    },
    http: { requests: buckets.at(-1)?.count ?? 0, buckets },
    outbox: {
      pending: sum(metrics, "outbox_pending", { service }),
      lagSeconds: {
        count: sum(metrics, lag, { service }, `${lag}_count`),
        sum: sum(metrics, lag, { service }, `${lag}_sum`),
      },
    },
  };
}

export interface OpsStatsDeps {
  service: string;
  auth: Auth;
  metrics: PlatformMetrics;
  caches?: Partial<Pick<CacheFactory, "kind" | "health">>;
}

/**
 * `GET /ops/stats`, which the cache dashboard polls. As open as /metrics: with an admin token configured,
 * it takes that token or a staff member's session (the dashboard is a page, which has no token to send).
 */
export async function opsStatsRoute(app: HttpApp, { service, auth, metrics, caches }: OpsStatsDeps): Promise<void> {
  const startedAt = new Date().toISOString();
  const guard = async (request: FastifyRequest) => {
    if (!app.admin.required || app.admin.isAdmin(request)) return;
    const { role } = authenticateRequest(auth, request).principal;
    if (role !== "manager" && role !== "operator") throw forbidden("the dashboard is for staff");
  };
  app.get(
    "/ops/stats",
    {
      onRequest: guard,
      schema: {
        tags: ["operations"],
        summary: "The cache dashboard's counters (cumulative since start)",
        response: { 200: OpsStatsSchema, ...errorResponses(401, 403) },
      },
    },
    async (_request, reply): Promise<Static<typeof OpsStatsSchema>> => {
      reply.header("cache-control", "no-store");
      const health = caches?.health?.();
      return {
        service,
        at: new Date().toISOString(),
        startedAt,
        ...summarizeMetrics(await metrics.registry.getMetricsAsJSON(), service),
        redis: {
          kind: caches?.kind ?? "off",
          breaker: health?.breaker ?? null,
          bus: health ? (health.bus === "confirmed" ? "up" : "down") : null,
        },
      };
    },
  );
}
