import { table } from "../stats.ts";
import type { CatalogueFigures } from "./catalogue-rounds.ts";
import { catalogueRatios, n, spreadText } from "./report-figures.ts";
import type { SystemResults } from "./system-bench.ts";

/** The auditor's cost target: at most 2% of the catalogue's req/s at the default rates (issue 16). */
export const AUDIT_RATIO_TARGET = 0.98;

const percent = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(3)}%` : "-");

/** DB queries the cache-on Shop did not send in the rounds: CACHE=off's per request, times its requests, less its own. */
const savedQueries = (c: CatalogueFigures) =>
  c.rounds.reduce((acc, r) => acc + (r.off.dbQueriesPerRequest - r.on.dbQueriesPerRequest) * r.on.result.requests, 0);

/** The auditor's verdicts over the rounds, its extra load, and the bench's own stale-read count beside them. */
function verdicts(r: SystemResults, c: CatalogueFigures): string {
  const { checks, violations, loads, hits } = c.audit;
  const found = violations.read + violations.write;
  const orders = r.scenarios.orders?.on;
  const stale = orders?.result.extra.staleReads;
  const agreement = (violationsFound: number, staleReads: number) =>
    `${n(violationsFound)} and ${n(staleReads)}: ${violationsFound === staleReads ? "**they agree**" : "**they disagree**"}`;
  const ordersText =
    orders && stale !== undefined
      ? `the order-tracking scenario's, which writes: ${n(stale)} stale reads of ${n(orders.result.extra.reads ?? 0)} reads after ${n(orders.result.extra.writes ?? 0)} acknowledged changes, with the auditor there at ${n(orders.consistency?.checks ?? 0)} checks and ${n(orders.consistency?.violations ?? 0)} violations (${agreement(orders.consistency?.violations ?? 0, stale)})`
      : "the order-tracking scenario's, which did not run this time";
  return `Over the rounds (from the first's start to the end of the last, so the last samples' verdicts are in), the cache-on system's auditor gave **${n(checks.read)} read checks and ${n(checks.write)} write checks, ${n(found)} violations** (read ${n(violations.read)}, write ${n(violations.write)}), from its \`cache_consistency_checks_total\` and \`cache_consistency_violations_total\`, all its caches summed. Its re-reads of the source (\`cache_consistency_loads_total\`), the extra DB load: ${n(loads)} loads, ${percent(loads, savedQueries(c))} of the ${n(savedQueries(c))} DB queries the cache saved in those rounds (CACHE=off's queries per request times the cache-on requests, less the cache-on Shop's own) and ${percent(loads, hits)} of its ${n(hits)} hits (the cap, \`CACHE_AUDIT_MAX_LOAD_SHARE\`: ${n(100 * c.auditSettings.maxLoadShare, 1)}% of the hits).

The catalogue writes nothing, so there is no write to check and the bench counts no stale read there (0 by construction): any violation would be a value served that the database does not hold. Auditor and bench on the catalogue: ${agreement(found, 0)}. The bench's own stale-read count is ${ordersText}.`;
}

/** The consistency auditor's cost to the cache-on catalogue, round by round, against the same system unaudited. */
export function auditSection(r: SystemResults, c: CatalogueFigures): string {
  const rows = c.rounds.map((x, i) => [
    String(i + 1),
    n(x.on.result.rps),
    n(x.unaudited.result.rps),
    `${(x.on.result.rps / x.unaudited.result.rps).toFixed(3)}x`,
    `${n(x.on.result.p99, 2)} / ${n(x.unaudited.result.p99, 2)}`,
    `${n(x.on.cpuSeconds, 1)} / ${n(x.unaudited.cpuSeconds, 1)}`,
    `${n(x.on.consistency?.checks ?? 0)} / ${n(x.on.consistency?.violations ?? 0)}`,
    String(x.unaudited.result.errors + x.unaudited.result.non2xx),
  ]);
  const ratio = catalogueRatios(c).audited;
  rows.push(["median [min–max]", "", "", spreadText(ratio, 3, "x"), "", "", "", ""]);
  const { writeRate, readRate } = c.auditSettings;
  const headers = ["round", "on req/s", "unaudited req/s", "on/unaudited", "p99 ms on / unaudited"];
  return `## The consistency auditor's cost

The cache-on system runs the consistency auditor (docs/consistency.md) at its default rates: ${n(100 * writeRate, 1)}% of invalidations (\`CACHE_AUDIT_WRITE_RATE\` ${writeRate}) and ${n(100 * readRate, 1)}% of hits (\`CACHE_AUDIT_READ_RATE\` ${readRate}). A fourth system, cache on with both rates 0 (the auditor samples nothing; it still answers other processes' probes), shares its Redis namespace (its L2 as warm) and ran in the same rounds, right after the traced system. Target: cache-on req/s >= ${AUDIT_RATIO_TARGET}x of unaudited (at most 2% lost at the default rates): ${ratio.median >= AUDIT_RATIO_TARGET ? "**met**" : "**missed**"}. The auditor's checks and violations per round are those whose verdicts came during the cache-on system's load (a verdict comes a second or more after its sample).

${table([...headers, "CPU s on / unaudited", "auditor checks / violations (on)", "unaudited errors"], rows)}

${verdicts(r, c)}
`;
}
