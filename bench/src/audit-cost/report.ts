import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AUDIT_DEFAULTS } from "@printfab/cache";
import { type Spread, spread, table } from "../stats.ts";
import type { ShopCounters } from "./measured-shop.ts";
import { AMPLIFICATION, SUBJECTS, type Subject } from "./subjects.ts";

export interface CostRun {
  subject: Subject["name"];
  requests: number;
  failed: number;
  counters: ShopCounters;
}

export interface CostRound {
  runs: CostRun[];
}

export interface AuditCostResults {
  startedAt: string;
  sizes: { products: number; customers: number; orders: number };
  seconds: number;
  connections: number;
  rounds: CostRound[];
}

const fmt = (v: number) => Math.round(v).toLocaleString("en-US");
const pct = (v: number) => `${v >= 0 ? "+" : ""}${(100 * v).toFixed(2)}%`;
const pctSpread = (s: Spread) => `${pct(s.median)} [${pct(s.min)} – ${pct(s.max)}]`;
/** The Shop's CPU time per request it answered (µs): at saturation, its req/s is the inverse. */
const cpuUs = (r: CostRun) => (1e6 * r.counters.cpuSeconds) / Math.max(1, r.requests);
const of = (round: CostRound, s: Subject["name"]) => round.runs.find((r) => r.subject === s) as CostRun;

/** Each round's CPU per request of a subject against the unaudited Shop's in the same round. */
const overheads = (res: AuditCostResults, s: Subject["name"]) =>
  spread(res.rounds.map((round) => cpuUs(of(round, s)) / cpuUs(of(round, "unaudited")) - 1));

/** The figures the report and the note quote, computed once. */
export function auditCostFigures(res: AuditCostResults) {
  const base = spread(res.rounds.map((round) => cpuUs(of(round, "unaudited")))).median;
  // One read check's CPU, from the amplified Shop, where checks are many: its extra CPU over the unaudited
  // Shop's for as many requests, divided by its checks.
  const perCheckUs = spread(
    res.rounds.map((round) => {
      const a = of(round, "amplified");
      const extra = a.counters.cpuSeconds * 1e6 - cpuUs(of(round, "unaudited")) * a.requests;
      return a.counters.checks > 0 ? extra / a.counters.checks : 0;
    }),
  ).median;
  const checksPerRequest = (s: Subject["name"]) =>
    spread(res.rounds.map((round) => of(round, s).counters.checks / Math.max(1, of(round, s).requests))).median;
  const defaultChecks = checksPerRequest("default");
  return {
    base,
    perCheckUs,
    defaultChecks,
    /** The default's cost as a count of its checks times the cost of one, measured on the amplified Shop. */
    predictedDefault: (defaultChecks * perCheckUs) / base,
    control: overheads(res, "control"),
    measuredDefault: overheads(res, "default"),
    measuredAmplified: overheads(res, "amplified"),
  };
}

function subjectRows(res: AuditCostResults): Array<Array<string | number>> {
  return SUBJECTS.map((s) => {
    const runs = res.rounds.map((round) => of(round, s.name));
    const sum = (k: keyof ShopCounters) => runs.reduce((acc, r) => acc + r.counters[k], 0);
    const requests = runs.reduce((acc, r) => acc + r.requests, 0);
    const cpu = spread(runs.map(cpuUs));
    return [
      s.name,
      fmt(requests),
      `${cpu.median.toFixed(1)} [${cpu.min.toFixed(1)}–${cpu.max.toFixed(1)}]`,
      s.name === "unaudited" ? "-" : pctSpread(overheads(res, s.name)),
      fmt(sum("checks")),
      fmt(sum("loads")),
      fmt(sum("violations")),
      (sum("dbQueries") / Math.max(1, requests)).toFixed(4),
      fmt(runs.reduce((acc, r) => acc + r.failed, 0)),
    ];
  });
}

export async function writeAuditCostReport(res: AuditCostResults, outDir: string): Promise<string> {
  const f = auditCostFigures(res);
  const t = table(
    [
      "subject",
      "requests",
      "CPU µs / request, median [min–max]",
      "vs unaudited, same round",
      "read checks",
      "audit loads",
      "violations",
      "DB q/req",
      "failed",
    ],
    subjectRows(res),
  );
  const md = `# The consistency auditor's cost on the catalogue

Run of ${res.startedAt}: \`npm run bench -- audit-cost\`. Four Shops run side by side as processes over the
same catalogue (${fmt(res.sizes.products)} products, a PostgreSQL database of its own) and the same Redis
namespace, warmed once by the warm step; only their auditor settings differ. One load generator (its own
process) sends each Shop the same seeded catalogue mix (product pages, list pages, previews, model files)
over ${res.connections} connections of its own (closed loop: together they keep the machine's two cores busy),
all four at once, in ${res.rounds.length} rounds of ${res.seconds} s, each with fresh Shops after 15 s of such load (another seed)
unmeasured, and with the subjects' places (the order they start in and are sent to) rotated by one from
round to round. Each Shop's CPU time (its \`process_cpu_seconds_total\`) is divided by the requests it
answered: where CPU bounds a Shop, one that spends x% more per request serves x% fewer requests, and
because the four share every moment of the run, whatever else the machine does touches them alike (req/s from rounds run one after
another moved by more than the 2% in question: bench/reports/system.md). Subjects:

${SUBJECTS.map((s) => `- **${s.name}**: ${s.label}`).join("\n")}

${t}

- Noise floor: the control Shop, configured as the unaudited one, differs from it by ${pctSpread(f.control)}.
- With the defaults, CPU per request against the unaudited Shop: **${pctSpread(f.measuredDefault)}**
  (target: under 2% of req/s, i.e. under +2% CPU per request).
- At ${AMPLIFICATION}x the read rate: ${pctSpread(f.measuredAmplified)}. One read check costs about
  **${fmt(f.perCheckUs)} µs** of the Shop's CPU (${(f.perCheckUs / f.base).toFixed(1)} requests' worth: the check
  re-runs the loader: a DB query and the page's encoding; and reads the key's versions in Redis, and digests).
- The default Shop made ${f.defaultChecks.toFixed(5)} read checks per request (read rate ${AUDIT_DEFAULTS.readRate} of the
  catalogue cache's hits): at that cost, **${pct(f.predictedDefault)}** CPU per request, a count of checks times
  the cost of one measured where it stands far above the noise. The direct figure above is read against
  the noise floor. The catalogue makes no writes: the write check's cost (one per sampled invalidation) is
  not in these figures.
`;
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, "audit-cost.md"), md);
  return t;
}
