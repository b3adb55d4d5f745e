import { EventEmitter } from "node:events";
import type { ConsistencyViolation } from "./audit-core.ts";
import type { BreakerState } from "./circuit-breaker.ts";

export type RequestResult = "hit_l1" | "hit_l2" | "miss" | "stale" | "bypass";

/** The events a Cache emits, one per outcome, for logs, tests and the metrics adapter. */
export interface CacheEvents {
  request: [{ key: string; result: RequestResult }];
  load: [{ key: string; ms: number }];
  load_error: [{ key: string; error: unknown }];
  invalidation: [{ kind: "key" | "tag"; names: string[] }];
  breaker: [{ state: BreakerState }];
  l2_error: [{ operation: string; error: unknown }];
  /** Whether this cache's L1 may be used: its channel joined, the bus confirmed and the breaker closed. */
  bus: [{ up: boolean }];
  /** The consistency auditor found an old value served or servable (docs/consistency.md); log it at warn. */
  consistency_violation: [ConsistencyViolation];
}

/** Plain counters, cheap on the hot path; the metrics adapter reads them at scrape time. */
export interface CacheStats {
  hit_l1: number;
  hit_l2: number;
  miss: number;
  stale: number;
  bypass: number;
  loads: number;
  load_errors: number;
  invalidations_key: number;
  invalidations_tag: number;
  collapsed: number;
  fills_rejected: number;
  /** The consistency auditor's verdicts, by check (one per name of a sampled write, one per sampled hit). */
  checks_write: number;
  checks_read: number;
  violations_write: number;
  violations_read: number;
  /** Loads of the source made by the read check (its extra load, capped as a share of the hits). */
  audit_loads: number;
  /** Samples that could give no verdict: the bus or breaker down, a write since the hit, a failed re-read. */
  audit_skipped: number;
}

export const newStats = (): CacheStats => ({
  hit_l1: 0,
  hit_l2: 0,
  miss: 0,
  stale: 0,
  bypass: 0,
  loads: 0,
  load_errors: 0,
  invalidations_key: 0,
  invalidations_tag: 0,
  collapsed: 0,
  fills_rejected: 0,
  checks_write: 0,
  checks_read: 0,
  violations_write: 0,
  violations_read: 0,
  audit_loads: 0,
  audit_skipped: 0,
});

/** A cache's counters and events, shared by the facade and the load pipeline. */
export class CacheTelemetry {
  readonly stats: CacheStats = newStats();
  readonly events = new EventEmitter<CacheEvents>();

  count(result: RequestResult, key: string): void {
    this.stats[result]++;
    if (this.events.listenerCount("request") > 0) this.events.emit("request", { key, result });
  }
}
