import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ScenarioResult } from "../system/scenarios.ts";

export interface ScaleRound {
  result: Omit<ScenarioResult, "keys">;
  /** The Shops' database queries for requests (health checks not counted), all instances summed. */
  dbQueries: number;
  /** Keys the load asked for the first time in this tier's namespace: loads no cache can avoid. */
  newKeys: number;
  cpuSeconds: number;
  /** Catalogue lookups answered from the answering instance's own L1. */
  l1HitRatio: number;
}

export interface ScaleRow {
  instances: number;
  rounds: ScaleRound[];
  /** Database queries for one cold product read by every instance at once (8 readers each). */
  coldKeyQueries: number;
  /** A change on the first instance until every other served it, per sample. */
  propagationMs: number[];
}

export interface ScaleResults {
  startedAt: string;
  quick: boolean;
  products: number;
  roundSeconds: number;
  cores: number;
  loadAverage: number;
  rows: ScaleRow[];
}

const fmt = (v: number, digits = 0) => v.toLocaleString("en-US", { maximumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;

/** A row's figures: medians over its rounds. */
function figures(row: ScaleRow, roundSeconds: number) {
  const of = (f: (r: ScaleRound) => number) => median(row.rounds.map(f));
  return {
    rps: of((r) => r.result.rps),
    p99: of((r) => r.result.p99),
    errors: row.rounds.reduce((acc, r) => acc + r.result.errors + r.result.non2xx, 0),
    dbPerSecond: of((r) => r.dbQueries / roundSeconds),
    dbPerKiloRequest: of((r) => (1000 * r.dbQueries) / Math.max(1, r.result.requests)),
    dbPerNewKey: of((r) => (r.newKeys ? r.dbQueries / r.newKeys : 0)),
    cpu: of((r) => r.cpuSeconds / roundSeconds),
    l1: of((r) => r.l1HitRatio),
  };
}

function table(results: ScaleResults): string {
  const lines = [
    "| Shops | req/s | p99 ms | errors | DB queries/s | DB queries / 1,000 req | DB queries / new key | Shops' CPU (cores) | L1 hits | cold key: DB queries | change seen on the others (median / max ms) |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of results.rows) {
    const f = figures(row, results.roundSeconds);
    const prop = row.propagationMs.length
      ? `${fmt(median(row.propagationMs), 1)} / ${fmt(Math.max(...row.propagationMs), 1)}`
      : "n/a (one instance)";
    lines.push(
      `| ${row.instances} | ${fmt(f.rps)} | ${fmt(f.p99, 1)} | ${f.errors} | ${fmt(f.dbPerSecond, 1)} | ${fmt(f.dbPerKiloRequest, 2)} | ${fmt(f.dbPerNewKey, 2)} | ${fmt(f.cpu, 2)} | ${fmt(100 * f.l1, 1)}% | ${row.coldKeyQueries} | ${prop} |`,
    );
  }
  return lines.join("\n");
}

function ratios(results: ScaleResults): string {
  const first = results.rows[0];
  const last = results.rows.at(-1);
  if (!first || !last) return "";
  const [a, b] = [figures(first, results.roundSeconds), figures(last, results.roundSeconds)];
  const ratio = (x: number, y: number) => (x > 0 ? `${fmt(y / x, 2)}x` : "n/a");
  return [
    `- DB queries/s, ${last.instances} Shops against ${first.instances}: **${ratio(a.dbPerSecond, b.dbPerSecond)}** (target <= 1.1x);`,
    `  per new key ${fmt(a.dbPerNewKey, 2)} and ${fmt(b.dbPerNewKey, 2)}; per 1,000 requests ${ratio(a.dbPerKiloRequest, b.dbPerKiloRequest)}.`,
    `- req/s, ${last.instances} Shops against ${first.instances}: ${ratio(a.rps, b.rps)}; p99 ${fmt(a.p99, 1)} ms and ${fmt(b.p99, 1)} ms.`,
  ].join("\n");
}

/** Why the throughput does not follow the instance count here, from this run's own figures. */
function why(results: ScaleResults): string {
  const rows = results.rows.map((r) => ({ n: r.instances, ...figures(r, results.roundSeconds) }));
  const best = rows.reduce((a, b) => (b.rps > a.rps ? b : a));
  const cpu = rows.map((r) => `${fmt(r.cpu, 2)} with ${r.n}`).join(", ");
  return `## Why ${rows.at(-1)?.n} instances do not give ${rows.at(-1)?.n}x req/s here

${results.cores} cores serve everything: the load generator, HAProxy, PostgreSQL, Redis, the Shops, and whatever
else the machine runs. The Shops together used ${cpu} cores (of ${results.cores}): the rest went to the load
generator, HAProxy, Redis and PostgreSQL, which this bench does not measure apart. The most req/s came with
${best.n} Shop(s); past that, more processes split the same cores among more event loops and more
connections, and each instance's L1 sees a smaller share of the traffic (the "L1 hits" column: the rest
goes to Redis, or to the database for new keys). Adding instances on one machine buys redundancy (an instance killed or restarted,
HAProxy routes around it), not throughput; throughput needs cores or hosts for the instances.

What the instances must not multiply is the database's work, and they do not: a cold key costs one query
however many instances ask for it at once (the Redis lease), and DB queries per new key stay near one
(below one because a list page's load fills its rows' product pages too). DB queries per second follow
the rate at which the load meets new keys, that is its req/s, not the instance count.
`;
}

/** Writes bench/reports/scale.md; returns its table. */
export async function writeScaleReport(out: string, results: ScaleResults): Promise<string> {
  const t = table(results);
  const text = `# Scale: 1, 2 and 4 Shop instances behind HAProxy

Generated by \`npm run bench -- scale${results.quick ? " --quick" : ""}\` on ${results.startedAt}: ${fmt(results.products)} products (the system
bench's database), ${results.cores} cores, load average ${fmt(results.loadAverage, 2)} at the start. **Indicative figures**:
the machine is shared with other work, and the load generator, HAProxy, PostgreSQL, Redis and every Shop
share its cores.

Each tier is N Shop processes (\`SERVICE=shop\`) behind HAProxy with \`deploy/haproxy/haproxy.cfg\`, in a
cache namespace of its own (each starts cold), under the system bench's catalogue load (Zipf product pages,
list pages and previews, 32 connections, the load generator in a process of its own) through HAProxy: an
unmeasured warm-up, then ${results.rows[0]?.rounds.length ?? 0} round(s) of ${results.roundSeconds} s; medians over the rounds. DB queries
are the Shops' \`db_queries_total{service="shop"}\` summed over the instances, less HAProxy's health checks
(a \`SELECT 1\` each). A new key is one the load asked for the first time in the tier's namespace: a
load no cache avoids, so "DB queries / new key" near 1 says the instances never load a key twice.

${t}

${ratios(results)}

- Cold key: one product none had read, asked by 8 concurrent readers on every instance at once; the
  database saw the queries above (1 = one load across all instances: the Redis lease).
- Change seen on the others: a price changed through the first instance, timed until every other instance
  (each holding the product in its L1) served the new price: the invalidation bus's delivery.

${why(results)}
`;
  await writeFile(join(out, "scale.md"), text);
  return t;
}
