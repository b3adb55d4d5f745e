import {
  type AuditOptions,
  auditKeyHash,
  type ConsistencyViolation,
  LoadBudget,
  probeOf,
  type ResolvedAuditOptions,
  resolveAuditOptions,
  Sampler,
} from "./audit-core.ts";
import { ReadCheck, type ReadVerdict, type SampledHit } from "./audit-read-check.ts";
import { type NameFinding, WriteCheck } from "./audit-write-check.ts";
import type { BreakerState } from "./circuit-breaker.ts";
import type { CacheTelemetry } from "./events.ts";
import type { BusMessage } from "./l2-driver.ts";
import type { L2Tier } from "./l2-tier.ts";
import type { LocalTier } from "./local-tier.ts";
import type { Serializer } from "./serializer.ts";

export type { AuditOptions, ConsistencyViolation } from "./audit-core.ts";
export { AUDIT_DEFAULTS, auditKeyHash } from "./audit-core.ts";

export interface AuditDeps {
  /** The cache's id: its bus messages' sender. */
  id: string;
  name: string;
  local: LocalTier;
  l2: L2Tier;
  telemetry: CacheTelemetry;
  serializer: Serializer;
  now: () => number;
  breaker: () => BreakerState;
  /** Whether the cache's bus is up (joined and confirmed): evictions and probes are delivered. */
  busUp: () => boolean;
}

/**
 * A cache's consistency auditor (docs/consistency.md): it samples invalidations and hits, runs the write and
 * read checks on them in the background, counts checks and violations in the cache's stats, and reports
 * each violation as a `consistency_violation` event. It also answers other processes' probes about this
 * process's L1, whatever its own rates.
 */
export class ConsistencyAuditor {
  readonly #d: AuditDeps;
  readonly #o: ResolvedAuditOptions;
  readonly #writes: Sampler;
  readonly #reads: Sampler;
  readonly #budget: LoadBudget;
  readonly #write: WriteCheck;
  readonly #read: ReadCheck;
  readonly #timers = new Set<NodeJS.Timeout>();
  #writesPending = 0;
  #closed = false;

  constructor(d: AuditDeps, options: AuditOptions | false | undefined) {
    this.#d = d;
    const o = resolveAuditOptions(options);
    this.#o = o;
    this.#writes = new Sampler(o.writeRate, o.random);
    this.#reads = new Sampler(o.readRate, o.random);
    const s = d.telemetry.stats;
    this.#budget = new LoadBudget(
      o.maxLoadShare,
      () => s.hit_l1 + s.hit_l2,
      () => s.audit_loads,
    );
    const judging = () => !this.#closed && d.breaker() === "closed" && d.busUp();
    const sleep = (ms: number) => this.#sleep(ms);
    this.#write = new WriteCheck({ ...o, id: d.id, local: d.local, l2: d.l2, now: d.now, judging, sleep });
    this.#read = new ReadCheck({
      ...o,
      l2: d.l2,
      serializer: d.serializer,
      budget: this.#budget,
      loaded: () => s.audit_loads++,
      judging,
      sleep,
      now: d.now,
    });
    // Only a cache that samples hits needs to hear of evictions (content-addressed caches, `audit: false`).
    if (o.readRate > 0) d.local.onEvict = (keys, tags, all) => this.#read.evicted(keys, tags, all);
  }

  /** Whether this hit is one to check; one decrement on the hit path. */
  sampleHit(): boolean {
    return this.#reads.take();
  }

  /** Checks a sampled hit later, if the load budget and the bound on checks in flight allow it. */
  checkRead(hit: SampledHit): void {
    if (this.#closed || this.#read.pending >= this.#o.maxPending || !this.#budget.reserve()) return;
    void this.#read.run(hit).then((v) => this.#readVerdict(hit, v));
  }

  /** An invalidation landed (made at `writtenAt`, the cache's clock): maybe checked once the bus bound passed. */
  invalidated(keys: readonly string[], tags: readonly string[], writtenAt: number): void {
    if (!this.#writes.take() || this.#closed || this.#writesPending >= this.#o.maxPending) return;
    this.#writesPending++;
    void this.#write
      .run(keys, tags, writtenAt)
      .then((found) => this.#writeVerdict(found))
      .finally(() => this.#writesPending--);
  }

  /** The auditor's bus messages: probes from other processes, answers to this one's. */
  onBus(m: BusMessage): void {
    if (this.#closed) return;
    if (m.answer) this.#write.answered(m);
    else if (m.probe && m.from !== this.#d.id) this.#answer(m);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#d.local.onEvict = undefined;
  }

  /** Answers only about what this process's L1 holds from before the write, so most processes stay silent. */
  #answer(m: BusMessage): void {
    const probe = probeOf(m);
    if (!probe) return;
    const held = this.#d.local.heldFor(probe.keys, probe.tags, this.#d.now());
    const older = (map: Map<string, number>) => [...map].filter(([, ms]) => ms > probe.sinceWriteMs);
    const keys = older(held.keys);
    const tags = older(held.tags);
    if (keys.length === 0 && tags.length === 0) return;
    void this.#d.l2.publish({ from: this.#d.id, answer: { id: probe.id, to: m.from, keys, tags } });
  }

  #writeVerdict(found: NameFinding[] | undefined): void {
    const s = this.#d.telemetry.stats;
    if (!found) {
      s.audit_skipped++;
      return;
    }
    for (const f of found) {
      s.checks_write++;
      if (!f.l2 && f.l1.instances === 0) continue;
      s.violations_write++;
      // L2 first: an old L2 entry is the cause of whatever L1 copies were filled from it since.
      const ages = f.l2
        ? { entryAgeMs: f.l2.ageMs, writeAgeMs: f.l2.writeAgeMs }
        : { entryAgeMs: f.l1.heldMs, writeAgeMs: f.l1.writeAgeMs };
      this.#report({
        check: "write",
        key: f.name,
        kind: f.kind,
        tier: f.l2 ? "l2" : "l1",
        ...ages,
        instances: f.l1.instances,
      });
    }
  }

  #readVerdict(hit: SampledHit, v: ReadVerdict): void {
    const s = this.#d.telemetry.stats;
    if (v === "skipped") {
      s.audit_skipped++;
      return;
    }
    s.checks_read++;
    if (v === "ok") return;
    s.violations_read++;
    const { k: key, layer: tier, entryAgeMs } = hit;
    this.#report({ check: "read", key, kind: "key", tier, entryAgeMs, writeAgeMs: null, instances: 0 });
  }

  #report(v: Omit<ConsistencyViolation, "cache" | "breaker" | "bus">): void {
    const d = this.#d;
    const violation: ConsistencyViolation = {
      cache: d.name,
      ...v,
      key: auditKeyHash(v.key),
      breaker: d.breaker(),
      bus: d.busUp() ? "up" : "down",
    };
    d.telemetry.events.emit("consistency_violation", violation);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      t.unref();
      this.#timers.add(t);
    });
  }
}
