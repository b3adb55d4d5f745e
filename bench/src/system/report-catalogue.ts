import { spread, table } from "../stats.ts";
import type { CatalogueFigures, Misses, ModelDownloads } from "./catalogue-rounds.ts";
import type { ModeFigures } from "./measure.ts";
import { auditSection } from "./report-audit.ts";
import { catalogueRatios, n, over, spreadText } from "./report-figures.ts";
import { MODEL_DOWNLOAD_SHARE } from "./scenarios.ts";
import type { ScenarioName, SystemResults } from "./system-bench.ts";

/** Tracing's cost to the cache-on catalogue, round by round: its spans made (TRACING=on) but sent nowhere. */
function tracingSection(c: CatalogueFigures): string {
  const rows = c.rounds.map((r, i) => [
    String(i + 1),
    n(r.on.result.rps),
    n(r.traced.result.rps),
    `${(r.traced.result.rps / r.on.result.rps).toFixed(3)}x`,
    `${n(r.on.result.p99, 2)} / ${n(r.traced.result.p99, 2)}`,
    `${n(r.on.cpuSeconds, 1)} / ${n(r.traced.cpuSeconds, 1)}`,
    String(r.traced.result.errors + r.traced.result.non2xx),
  ]);
  const ratio = catalogueRatios(c).traced;
  rows.push(["median [min–max]", "", "", spreadText(ratio, 3, "x"), "", "", ""]);
  return `## Tracing's cost

A third system, cache on and \`TRACING=on\` with no \`OTEL_EXPORTER_OTLP_ENDPOINT\` (docs/tracing.md): every request, cache lookup, statement, Redis command and call to MES makes its span, and the SDK drops them when they end, so this is what tracing costs the services themselves, without the export's serialization and network. It shares the cache-on system's Redis namespace (its L2 as warm) and ran in the same rounds, right after the cache-on system. Target: traced req/s >= 0.95x of cache on (at most 5% lost): ${ratio.median >= 0.95 ? "**met**" : "**missed**"}.

${table(["round", "on req/s", "traced req/s", "traced/on", "p99 ms on / traced", "CPU s on / traced", "traced errors"], rows)}
`;
}

/** The cache-on catalogue against the same bytes served by a bare Fastify, round by round. */
function limitSection(c: CatalogueFigures): string {
  const rows = c.rounds.map((r, i) => [
    String(i + 1),
    n(r.off.result.rps),
    n(r.on.result.rps),
    n(r.limit.rps),
    `${(r.on.result.rps / r.off.result.rps).toFixed(2)}x`,
    `${(r.on.result.rps / r.limit.rps).toFixed(2)}x`,
    `${n(r.on.result.p50, 2)} / ${n(r.limit.p50, 2)}`,
    `${n(r.on.result.p99, 2)} / ${n(r.limit.p99, 2)}`,
    String(r.off.result.errors + r.off.result.non2xx + r.on.result.errors + r.on.result.non2xx + r.limit.errors),
  ]);
  const s = catalogueRatios(c);
  rows.push([
    "median [min–max]",
    spreadText(
      over(c, (r) => r.off.result.rps),
      0,
    ),
    spreadText(
      over(c, (r) => r.on.result.rps),
      0,
    ),
    spreadText(
      over(c, (r) => r.limit.rps),
      0,
    ),
    spreadText(s.rps, 2, "x"),
    spreadText(s.limit, 2, "x"),
    `${spreadText(over(c, (r) => r.on.result.p50))} / ${spreadText(over(c, (r) => r.limit.p50))}`,
    `${spreadText(over(c, (r) => r.on.result.p99))} / ${spreadText(over(c, (r) => r.limit.p99))}`,
    "",
  ]);
  const answers = c.limit.answers.map((a) => `${a.shape} ${n(a.bytes)} bytes (${a.headers.join(", ")})`).join("; ");
  const headers = ["round", "off req/s", "on req/s", "limit req/s", "on/off", "on/limit"];
  return `## The catalogue against the limit of the stack

The limit server is Fastify ${c.limit.fastify} (the services' own copy) alone in a process, with the catalogue's four route shapes, each answering a constant buffer: the bytes and headers the cache-on Shop answered for its hottest key (a cache hit), so the same sizes travel: ${answers}; Node adds date, connection, keep-alive and content-length as it does for the Shop. The same load generator (its own process, 32 connections, the same Zipf mix of URLs) ran against it in the same rounds. The gap between the cache-on Shop and this row is what the Shop's code costs per request (its hooks, validation, the cache lookup, serialization, metrics) plus its remaining misses, each a DB query holding a connection (next section).

${table([...headers, "p50 ms on / limit", "p99 ms on / limit", "errors"], rows)}
`;
}

/** Share of product requests that fall beyond the `warmed` most popular products, under Zipf(s) over `count`. */
export function tailShare(count: number, warmed: number, s = 1.1): number {
  let all = 0;
  let head = 0;
  for (let k = 1; k <= count; k++) {
    all += k ** -s;
    if (k <= warmed) head += k ** -s;
  }
  return 1 - head / all;
}

/**
 * A model, not a measurement: the loads per request once every key has been met, TTL expiries alone
 * (a key requested at rate λ is loaded once per TTL + 1/λ), for the catalogue's products at a given req/s.
 */
export function steadyStateLoads(count: number, rps: number, ttlSeconds: number, s = 1.1): number {
  let all = 0;
  for (let k = 1; k <= count; k++) all += k ** -s;
  let loads = 0;
  for (let k = 1; k <= count; k++) {
    const rate = (0.75 * rps * k ** -s) / all;
    loads += rate / (1 + rate * ttlSeconds);
  }
  return loads / rps;
}

function missRow(label: string, m: Misses): string[] {
  return [
    label,
    n(m.requests),
    n(m.dbQueries),
    (m.dbQueries / Math.max(1, m.requests)).toFixed(4),
    n(m.loads),
    n(m.coldKeys),
    n(m.loads - m.coldKeys),
    n(m.dbQueries - m.loads),
  ];
}

/** Where the cache-on catalogue's DB queries go: the warm step, first requests of keys, reloads, the rest. */
function missesSection(r: SystemResults, c: CatalogueFigures): string {
  const w = c.warm;
  const outcome = w.status === "ran" ? `ran (\`${w.message}\`)` : `failed (${w.message})`;
  const warm =
    w.status === "skipped"
      ? `The warm step was skipped: ${w.message}.`
      : `The warm step (\`warm-cli.ts --products ${n(w.products)}\`, against the cache-on Shop before anything else, as a deploy would) ${outcome} in ${w.seconds.toFixed(1)} s and cost ${n(w.dbQueries)} DB queries, not counted below; it left ${n(w.keysWarmed)} catalogue keys in Redis. Under Zipf (s = 1.1) over ${n(r.sizes.products)} products, the products beyond the ${n(w.products)} most requested still draw ${(100 * tailShare(r.sizes.products, w.products)).toFixed(1)}% of product requests.`;
  const rows = [
    missRow("traffic warm-up (not measured)", c.warmUp),
    ...c.rounds.map((x, i) => missRow(`round ${i + 1}`, x.onMisses)),
  ];
  const median = spread(c.rounds.map((x) => x.on.dbQueriesPerRequest));
  const rps = spread(c.rounds.map((x) => x.on.result.rps)).median;
  const model = steadyStateLoads(r.sizes.products, rps, c.productTtlSeconds);
  // More first requests than loads can only mean keys the bench failed to recognise in Redis after the warm step.
  const unmatched = [c.warmUp, ...c.rounds.map((x) => x.onMisses)].some((m) => m.coldKeys > m.loads)
    ? "\n**Warning**: more first requests than loads: the warm step's keys in Redis were not all recognised (warm-step.ts reads the Shop's key names), so the first-request and reload columns are wrong.\n"
    : "";
  return `## DB queries per catalogue request

${warm}

DB queries per catalogue request with cache, per round: ${c.rounds.map((x) => x.on.dbQueriesPerRequest.toFixed(4)).join(", ")}; median ${spreadText(median, 4)} (target <= 0.02). What they were spent on, from the Shop's \`db_queries_total\` and its catalogue cache's \`cache_loads_total\`, and the keys the load generator asked for (a key is *first* when no earlier run against this Shop, nor the warm step, asked for it):

${table(["run", "requests", "DB queries", "DB q/req", "catalogue loads", "first requests of a key", "reloads", "other queries"], rows)}
${unmatched}
A first request of a key costs its one query whatever the cache does; a reload is a key loaded again (a TTL expiry, an eviction, an invalidation); other queries are the Shop's own beyond its catalogue loads. First requests fall round by round as the traffic meets the tail of the catalogue, so the figure is a transient, the run being short beside the TTLs (products ${c.productTtlSeconds} s). A model, not a measurement: once every key has been met, TTL expiries alone would cost about ${model.toFixed(4)} queries per request at ${n(rps)} req/s.
`;
}

/** Each service's event-loop delay p99, scenario by scenario; the catalogue's over its rounds. */
function eventLoopSection(r: SystemResults): string {
  const rows: string[][] = [];
  for (const [scenario, modes] of Object.entries(r.scenarios) as Array<
    [ScenarioName, Record<"off" | "on", ModeFigures>]
  >)
    for (const mode of ["off", "on"] as const) {
      const cell = (service: "shop" | "crm" | "mes") =>
        scenario === "catalogue" && r.catalogue
          ? spreadText(
              over(r.catalogue, (x) => x[mode].eventLoopP99Ms[service]),
              1,
            )
          : n(modes[mode].eventLoopP99Ms[service], 1);
      rows.push([scenario, mode, cell("shop"), cell("crm"), cell("mes")]);
    }
  return `## Event-loop delay p99 (ms)

Each service's \`nodejs_eventloop_lag_p99_seconds\` (prom-client's default metrics). prom-client reads it from a \`monitorEventLoopDelay\` histogram that it resets at every scrape of /metrics, so the load generator scrapes each service right before its first request and the bench once right after its last: the figure covers that load and nothing else. The histogram samples every 10 ms and records the whole interval, so an idle loop reads about 10 ms: the delay is what exceeds 10. Catalogue: median [min–max] over the rounds.

${table(["scenario", "cache", "shop", "crm", "mes"], rows)}
`;
}

/** What a model download costs the object store, with the cache and without, downloads alone. */
function modelsSection(c: CatalogueFigures): string {
  const { off, on } = c.models;
  const row = (mode: string, m: ModelDownloads) => [
    mode,
    n(m.downloads),
    n(m.rps),
    n(m.s3Gets),
    m.s3GetsPerDownload.toFixed(4),
    String(m.errors),
  ];
  const ratio = on.s3GetsPerDownload / Math.max(1e-9, off.s3GetsPerDownload);
  return `## Model downloads

\`GET /products/:id/model\` (the 3D view's file) is ${100 * MODEL_DOWNLOAD_SHARE}% of the catalogue's requests above; its S3 cost is measured apart, after the rounds, by model downloads alone (Zipf over the products, 16 connections), so that the object store's GETs divide by downloads and nothing else. Files up to the threshold (4 MiB; the demo models all are) are kept whole in the cache, larger ones streamed with ranged GETs. With \`CACHE=off\` a download reads its product page too, whose model metadata is an S3 GET, and the file after a HEAD. S3 GETs per download with cache ${on.s3GetsPerDownload.toFixed(4)} vs ${off.s3GetsPerDownload.toFixed(2)} off (**${ratio.toFixed(4)}x**; target <= 0.01 per download: ${on.s3GetsPerDownload <= 0.01 ? "**met**" : "**missed**"}).

${table(["cache", "downloads", "req/s", "S3 GETs", "S3 GETs per download", "errors"], [row("off", off), row("on", on)])}
`;
}

/** The sections the catalogue's rounds add to the report. */
export function catalogueSections(r: SystemResults): string {
  const c = r.catalogue;
  const loop = eventLoopSection(r);
  if (!c) return loop;
  return `${limitSection(c)}
${modelsSection(c)}
${tracingSection(c)}
${auditSection(r, c)}
${missesSection(r, c)}
${loop}
## Noise

The catalogue ran in ${c.rounds.length} rounds, each of the five (CACHE=off, cache on, cache on and traced, cache on unaudited, the limit) in turn within a round (off, on, traced, unaudited, limit, off, on, ...), each round ${c.roundSeconds} s at 32 connections after an unmeasured warm-up of each; the four systems and the limit server were up together, idle when not under load. Every catalogue ratio above (on/off req/s, p99, DB and S3 requests, on/limit, traced/on, on/unaudited) is taken within a round and given as the median of the rounds with their min and max; the overall table's catalogue rows are the medians of each figure. The other scenarios ran once per mode: their figures that matter are counts (stale reads, DB queries for the cold stampede, the spike's burst p99 against its own steady phases) or a second-order ratio (quotes), and their on/off ratios are single runs.
`;
}
