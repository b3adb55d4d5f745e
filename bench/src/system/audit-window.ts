import { type Counters, deltaOf, scrapeAll } from "./measure.ts";
import type { Running } from "./processes.ts";

/** The auditor's settings that its cost depends on (CACHE_AUDIT_WRITE_RATE, _READ_RATE, _MAX_LOAD_SHARE). */
export interface AuditSettings {
  writeRate: number;
  readRate: number;
  maxLoadShare: number;
}

/** A system's consistency auditor over a span, every cache of every service summed (docs/consistency.md). */
export interface AuditFigures {
  checks: { read: number; write: number };
  violations: { read: number; write: number };
  /** Loads of the source by the read check: the auditor's extra DB load. */
  loads: number;
  /** The caches' hits over the span: the loads they saved, of which the auditor's loads are capped to a share. */
  hits: number;
}

/**
 * Opens a span on a system's counters; `close` reads the auditor's figures since. A span that outlasts the
 * load by the auditor's delay and bound holds every verdict its samples will give.
 */
export async function auditWindow(s: Running): Promise<{ close: () => Promise<AuditFigures> }> {
  const before: Counters = await scrapeAll(s);
  return {
    close: async () => {
      const delta = deltaOf(before, await scrapeAll(s));
      const check = (name: string) => ({
        read: delta(name, 'check="read"'),
        write: delta(name, 'check="write"'),
      });
      return {
        checks: check("cache_consistency_checks_total"),
        violations: check("cache_consistency_violations_total"),
        loads: delta("cache_consistency_loads_total"),
        hits: delta("cache_requests_total", 'result="hit_l1"') + delta("cache_requests_total", 'result="hit_l2"'),
      };
    },
  };
}
