import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AUDIT_DEFAULTS } from "@printfab/cache";
import { table } from "../stats.ts";
import type { Audit } from "./audit.ts";
import type { AuditorFigures } from "./auditor-figures.ts";
import { AUDIT_ENV } from "./auditor-figures.ts";
import { type FaultFigures, HEALED_WITHIN_MS } from "./summary.ts";

export interface FaultRow {
  fault: string;
  figures: FaultFigures;
  audit: Audit;
  /** The services' own consistency auditor over the scenario (cache_consistency_* in /metrics). */
  auditor: AuditorFigures;
  /** The auditor's write violations by process (its name in the rig): who ran the checks that found them. */
  writeViolationsBy: Record<string, number>;
  /** The entities the fault made stale behind the cache's back (ledger keys), when it makes the engine wrong. */
  poisoned?: string[];
  /** Whether every service answered /health "ok" again before the next scenario. */
  recovered: boolean;
  note?: string;
}

export interface FaultsResults {
  startedAt: string;
  quick: boolean;
  timeline: { warmMs: number; faultMs: number; afterMs: number };
  rows: FaultRow[];
}

const n = (v: number) => v.toLocaleString("en-US");

/** "checks (write + read), violations (write + read)", as the table and the log show them. */
export function auditorText(a: AuditorFigures): string {
  const { checks: c, violations: v } = a;
  return `${n(c.write + c.read)} checks (${n(c.write)} + ${n(c.read)}), ${n(v.write + v.read)} violations (${n(v.write)} + ${n(v.read)})`;
}

/** The terminal and Markdown table: one row per fault. */
export function faultsTable(r: FaultsResults): string {
  return table(
    [
      "fault",
      "requests",
      "errors",
      "resets",
      "stale reads",
      `stale > ${HEALED_WITHIN_MS} ms after healing`,
      "auditor checks (write + read)",
      "auditor violations",
      "lost acked writes",
      "stale at end",
      "recovered in (ms)",
      "slowest answer in fault (ms)",
    ],
    r.rows.map(({ fault, figures: f, audit: a, auditor: x, recovered }) => [
      fault,
      n(f.requests),
      n(f.errors),
      n(f.resets),
      n(f.staleReads),
      n(f.staleLate),
      `${n(x.checks.write + x.checks.read)} (${n(x.checks.write)} + ${n(x.checks.read)})`,
      n(x.violations.write + x.violations.read),
      n(a.lostWrites),
      n(a.staleAtEnd),
      recovered ? n(f.recoverMs) : `${n(f.recoverMs)} (not healthy after)`,
      n(f.slowestDuringFaultMs),
    ]),
  );
}

/** Ledger keys as the report names them: `p:7` is product #7, `o:12` order 12. */
const entities = (keys: string[]) =>
  keys.map((k) => (k.startsWith("p:") ? `#${k.slice(2)}` : `order ${k.slice(2)}`)).join(", ") || "none";

/**
 * The bench's stale reads beside the auditor's violations, one line a scenario; where the fault made the
 * engine wrong, whether both found what it injected: the readers on those entities only, the write check
 * once an entry.
 */
function agreement(r: FaultsResults): string[] {
  return r.rows.map(({ fault, figures: f, auditor: x, writeViolationsBy, poisoned }) => {
    const by = Object.entries(writeViolationsBy)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const write = `${n(x.violations.write)}${by ? ` (${by})` : ""}`;
    const late = f.beyondBound;
    const bench =
      `bench ${n(f.staleReads)} stale reads on ${f.staleEntities.length} entities, ` +
      `${n(late.reads)} of them beyond the bus bound on ${late.entities.length} (${entities(late.entities)})`;
    if (!poisoned) return `- **${fault}**: ${bench}; auditor ${write} write + ${n(x.violations.read)} read violations`;
    const others = late.entities.filter((e) => !poisoned.includes(e));
    const all = others.length === 0 ? "yes" : `no, also ${entities(others)}`;
    return (
      `- **${fault}**: injected ${poisoned.length} stale entries (${entities(poisoned)}); ${bench}, ` +
      `all among the injected: ${all}; auditor write violations ${write} for ${poisoned.length} injected ` +
      `(${x.violations.write >= poisoned.length ? "no fewer than injected" : "fewer than injected"}); ` +
      `read violations ${n(x.violations.read)}`
    );
  });
}

function details(r: FaultsResults): string[] {
  return r.rows.flatMap(({ fault, figures: f, audit: a, note }) => {
    const errors = Object.entries(f.errorsBy)
      .map(([k, v]) => `${k} x${v}`)
      .join(", ");
    const stale = Object.entries(f.staleBy)
      .map(
        ([k, v]) =>
          `${k} x${v.count} (the last ${v.lastAfterHealMs} ms after healing; begun at most ${v.maxMissedByMs} ms after the write it missed)`,
      )
      .join(", ");
    const lines = [`- **${fault}**: ${n(f.reads)} reads, ${n(f.writesAcked)} acknowledged writes`];
    if (f.slowestDuringFault) lines.push(`  - slowest answer in the fault: ${f.slowestDuringFault}`);
    if (errors) lines.push(`  - failures: ${errors}`);
    if (stale) lines.push(`  - stale reads: ${stale}`);
    if (a.staleViews.length) lines.push(`  - still stale at the end: ${a.staleViews.slice(0, 5).join("; ")}`);
    if (note) lines.push(`  - ${note}`);
    return lines;
  });
}

/** Writes bench/reports/faults.md and the raw figures to bench/results/; returns the table. */
export async function writeFaultsReport(r: FaultsResults, out: string, resultsDir: string): Promise<string> {
  const t = faultsTable(r);
  const { warmMs, faultMs, afterMs } = r.timeline;
  const md = [
    "# Fresh under faults",
    "",
    `Run of ${r.startedAt}${r.quick ? " (--quick)" : ""}: \`npm run bench -- faults\`. MES, CRM and two Shops run as`,
    "processes on 127.0.0.1 over a fresh PostgreSQL database (2,000 products, 4,000 orders), s3rver and a",
    "private redis-server; PostgreSQL and S3 are reached through a fault proxy, and Shop B reaches Redis through",
    "one of its own. Readers load product pages, the first list page and previews on both Shops, and orders",
    "in the Shop, the CRM and MES; a manager re-prices 40 products through either Shop and an operator moves",
    `orders forward in MES. Each scenario: ${warmMs} ms of load, the fault for ${faultMs} ms, ${afterMs} ms after it`,
    "healed. DATABASE_TIMEOUT_MS and S3_TIMEOUT_MS are 1000.",
    "",
    "A stale read began after a write was acknowledged and saw an older value. Lost acked writes: acknowledged",
    "values PostgreSQL does not hold. Stale at end: pages that still disagree with PostgreSQL once the load",
    "stopped. Recovered in: from healing to the end of the last failed or stale request begun after it.",
    "Resets: requests whose connection was reset (ECONNRESET, or closed under them). The last scenario makes",
    "the engine wrong on purpose (old product entries put back into Redis after acknowledged writes); its",
    "healing deletes them from Redis, the operator's fix, before the audit: its stale at end is what was left",
    "after that fix, not how long they would have lasted (their TTL is 10 minutes).",
    "Auditor: the services' own consistency auditor (docs/consistency.md) over the scenario, summed over",
    "the four processes: its checks (a name of a sampled invalidation, checked in L2 and every L1 once the",
    "bus bound passed; a sampled hit, compared with the source a moment later) and the violations it found.",
    `Its rates here: ${Object.entries(AUDIT_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}. A stale read inside the bus bound is not a violation: the bound is the promise.`,
    "",
    t,
    "",
    "Agreement: the bench's stale reads beside the auditor's violations. A stale read begun within the bus",
    `bound (${AUDIT_DEFAULTS.boundMs} ms) after the write it missed is what the promise allows and no violation; those begun`,
    "beyond it are what the auditor should find. Where a fault made the engine wrong, each injected entry",
    "should give at least one write violation (every delivery of a write's invalidation is checked, by the",
    "process that received it, and the outbox delivers at least once: a relay's second delivery of a row is",
    "checked again), and the stale reads beyond the bound should be on injected entities only.",
    "",
    ...agreement(r),
    "",
    "Details:",
    "",
    ...details(r),
    "",
  ].join("\n");
  await writeFile(join(out, "faults.md"), md);
  await writeFile(join(resultsDir, `faults-${r.startedAt.replace(/[:.]/g, "-")}.json`), JSON.stringify(r, null, 2));
  return t;
}
