import { AUDIT_DEFAULTS } from "@printfab/cache";
import type { Sample } from "./client.ts";

/** The bound: no stale read may begin later than this after the fault healed. */
export const HEALED_WITHIN_MS = 250;
const RESETS = new Set(["ECONNRESET", "UND_ERR_SOCKET", "EPIPE"]);

export interface FaultFigures {
  requests: number;
  reads: number;
  writesAcked: number;
  /** Failed requests: 4xx/5xx other than a 409 the operator's race explains, and network errors. */
  errors: number;
  /** Connections reset under a request (ECONNRESET, or undici's "other side closed"). */
  resets: number;
  /** Failures by outcome (HTTP status or network code). */
  errorsBy: Record<string, number>;
  staleReads: number;
  /** Stale reads that began later than HEALED_WITHIN_MS after healing. */
  staleLate: number;
  /** From healing to the end of the last failed or stale request that began after it (ms). */
  recoverMs: number;
  /** The slowest answer to a request that began during the fault (ms): hung dependencies' deadlines. */
  slowestDuringFaultMs: number;
  /** That request: what it was and how it ended. */
  slowestDuringFault: string;
  /**
   * Stale reads by view: how long after healing the last one began (ms; negative: before), and the longest
   * a stale read began after the acknowledgement of the write it missed (ms).
   */
  staleBy: Record<string, { count: number; lastAfterHealMs: number; maxMissedByMs: number }>;
  /** The distinct entities stale reads saw old (ledger keys, `p:7`), sorted. */
  staleEntities: string[];
  /**
   * Stale reads begun more than the bus bound after the write they missed, and the distinct entities they
   * saw old: beyond what the promise allows, so what the auditor should find.
   */
  beyondBound: { reads: number; entities: string[] };
}

/** Ledger keys in their entities' order: `p:7` before `p:12`. */
const byId = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });
const entitiesOf = (samples: Sample[]) => [...new Set(samples.flatMap((s) => s.staleEntities ?? []))].sort(byId);

/** The figures of one scenario from its samples, the moment the fault began and the moment it healed. */
export function summarize(samples: Sample[], faultAt: number, healAt: number): FaultFigures {
  const failed = samples.filter((s) => !s.ok && s.outcome !== "409");
  const errorsBy: Record<string, number> = {};
  for (const s of failed) errorsBy[s.outcome] = (errorsBy[s.outcome] ?? 0) + 1;
  const stale = samples.filter((s) => s.stale);
  const late = stale.filter((s) => (s.missedByMs ?? 0) > AUDIT_DEFAULTS.boundMs);
  const bad = samples.filter((s) => s.t0 >= healAt && (s.stale || (!s.ok && s.outcome !== "409")));
  const duringFault = samples.filter((s) => s.t0 >= faultAt && s.t0 < healAt);
  const slowest = duringFault.reduce<Sample | undefined>(
    (m, s) => (!m || s.t1 - s.t0 > m.t1 - m.t0 ? s : m),
    undefined,
  );
  const staleBy: FaultFigures["staleBy"] = {};
  for (const s of stale) {
    const last = Math.round(s.t0 - healAt);
    const missed = Math.round(s.missedByMs ?? 0);
    const e = staleBy[s.what] ?? { count: 0, lastAfterHealMs: last, maxMissedByMs: missed };
    staleBy[s.what] = {
      count: e.count + 1,
      lastAfterHealMs: Math.max(e.lastAfterHealMs, last),
      maxMissedByMs: Math.max(e.maxMissedByMs, missed),
    };
  }
  return {
    requests: samples.length,
    reads: samples.filter((s) => s.kind === "read").length,
    writesAcked: samples.filter((s) => s.kind === "write" && s.ok).length,
    errors: failed.length,
    resets: failed.filter((s) => RESETS.has(s.outcome)).length,
    errorsBy,
    staleReads: stale.length,
    staleLate: stale.filter((s) => s.t0 >= healAt + HEALED_WITHIN_MS).length,
    recoverMs: Math.round(bad.reduce((m, s) => Math.max(m, s.t1 - healAt), 0)),
    slowestDuringFaultMs: slowest ? Math.round(slowest.t1 - slowest.t0) : 0,
    slowestDuringFault: slowest ? `${slowest.what} (${slowest.outcome})` : "",
    staleBy,
    staleEntities: entitiesOf(stale),
    beyondBound: { reads: late.length, entities: entitiesOf(late) },
  };
}
