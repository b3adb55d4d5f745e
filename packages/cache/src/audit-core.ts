import { createHash } from "node:crypto";
import type { BreakerState } from "./circuit-breaker.ts";
import type { AuditAnswer, AuditProbe, BusMessage } from "./l2-driver.ts";
import type { Serializer } from "./serializer.ts";

/**
 * The consistency auditor's settings (docs/consistency.md). It is on by default, at rates low enough to
 * cost nothing measurable; `audit: false` in the cache's options turns its sampling off (the cache still
 * answers other processes' probes).
 */
export interface AuditOptions {
  /** Share of invalidations whose keys and tags are checked in L2 and every L1 once the bus bound passed. */
  writeRate?: number;
  /** Share of hits whose value is compared, `delayMs` later, with what the loader reads then. */
  readRate?: number;
  /** From a sampled hit to the source's re-read (ms): long enough for a write in flight to be invalidated. */
  delayMs?: number;
  /**
   * The bus bound (ms): a write is checked this long after its invalidation, and a read whose value differs
   * is judged this long after the re-read, so that the invalidation of a write racing it has arrived.
   */
  boundMs?: number;
  /** The read check's loads, as a share of the loads the cache saved (its hits): never more. */
  maxLoadShare?: number;
  /** How long a write check waits for other processes' answers (ms). */
  answerWaitMs?: number;
  /** Clock difference allowed between processes when an L2 entry's birth is compared with a write (ms). */
  clockSkewMs?: number;
  /** Checks in flight at once; samples beyond it are dropped (memory stays bounded under any load). */
  maxPending?: number;
  /** The sampling dice; seeded in tests. */
  random?: () => number;
}

export type ResolvedAuditOptions = Required<AuditOptions>;

export const AUDIT_DEFAULTS: Omit<ResolvedAuditOptions, "random"> = {
  writeRate: 0.1,
  readRate: 0.001,
  delayMs: 1000,
  // The heartbeat's deadline (1 s) plus a beat and a margin: past it, an L1 that missed an eviction is a fault.
  boundMs: 1500,
  maxLoadShare: 0.01,
  answerWaitMs: 500,
  clockSkewMs: 100,
  maxPending: 200,
};

/** Names per probe, and per answer: a unit larger than this is checked on its first names only. */
export const MAX_PROBE_NAMES = 64;

const rate = (v: number, name: string) => {
  if (!(v >= 0 && v <= 1)) throw new Error(`audit.${name} must be between 0 and 1, got ${v}`);
  return v;
};
const nonNegative = (v: number, name: string) => {
  if (!(v >= 0 && Number.isFinite(v))) throw new Error(`audit.${name} must be a finite number >= 0, got ${v}`);
  return v;
};

/** The options with their defaults, checked: a rate outside [0, 1] or a negative delay is refused. */
export function resolveAuditOptions(o: AuditOptions | false | undefined): ResolvedAuditOptions {
  const off = o === false;
  // An option set to undefined (an unset environment variable) keeps its default.
  const given = Object.fromEntries(Object.entries(o || {}).filter(([, v]) => v !== undefined)) as AuditOptions;
  const r = { ...AUDIT_DEFAULTS, ...given, random: given.random ?? Math.random };
  return {
    ...r,
    writeRate: off ? 0 : rate(r.writeRate, "writeRate"),
    readRate: off ? 0 : rate(r.readRate, "readRate"),
    maxLoadShare: nonNegative(r.maxLoadShare, "maxLoadShare"),
    delayMs: nonNegative(r.delayMs, "delayMs"),
    boundMs: nonNegative(r.boundMs, "boundMs"),
    answerWaitMs: nonNegative(r.answerWaitMs, "answerWaitMs"),
    clockSkewMs: nonNegative(r.clockSkewMs, "clockSkewMs"),
    maxPending: nonNegative(r.maxPending, "maxPending"),
  };
}

/**
 * Picks a share `p` of events with one decrement each: the gaps between picks are drawn geometrically, so
 * the L1 hit path pays a counter, not a random number.
 */
export class Sampler {
  #left: number;

  constructor(
    private readonly p: number,
    private readonly random: () => number,
  ) {
    this.#left = this.#gap();
  }

  take(): boolean {
    if (--this.#left > 0) return false;
    this.#left = this.#gap();
    return this.p > 0;
  }

  #gap(): number {
    if (this.p >= 1) return 1;
    if (this.p <= 0) return Number.POSITIVE_INFINITY;
    const u = Math.max(this.random(), Number.MIN_VALUE);
    return Math.max(1, Math.ceil(Math.log(u) / Math.log(1 - this.p)));
  }
}

/**
 * The read check's extra loads against the loads the cache saved: a load is allowed only while the audit's
 * loads, those reserved included, stay within `share` of the hits so far.
 */
export class LoadBudget {
  #reserved = 0;

  constructor(
    private readonly share: number,
    private readonly hits: () => number,
    private readonly loads: () => number,
  ) {}

  reserve(): boolean {
    if (this.loads() + this.#reserved + 1 > this.share * this.hits()) return false;
    this.#reserved++;
    return true;
  }

  /** A reservation ends: used (the caller counted the load) or dropped. */
  release(): void {
    this.#reserved--;
  }
}

/** What a value is, to compare two reads of it: bytes as they are, anything else as the cache stores it. */
export function digestOf(value: unknown, serializer: Serializer): string {
  const h = createHash("sha256");
  if (value === null || value === undefined) h.update("\u0000not-found");
  else h.update(Buffer.isBuffer(value) ? value : serializer.serialize(value));
  return h.digest("base64url");
}

/** A key or tag as violations name it: hashed, since keys may hold user input (a search's text). */
export function auditKeyHash(name: string): string {
  return `sha256:${createHash("sha256").update(name).digest("hex").slice(0, 16)}`;
}

/** One disagreement the auditor found; logged at warn by the platform and counted. */
export interface ConsistencyViolation {
  cache: string;
  check: "write" | "read";
  /** The key (or, for a tag invalidation, the tag), hashed (`auditKeyHash`). */
  key: string;
  kind: "key" | "tag";
  /** Where the old copy was: an L1 (this process's or another's), or L2. */
  tier: "l1" | "l2";
  /** How long that copy had been in its tier (ms); null when unknown (an entry of an earlier release). */
  entryAgeMs: number | null;
  /** How long before the finding the write was made (ms); null for a read check, which sees no write. */
  writeAgeMs: number | null;
  /** Processes whose L1 held an old copy (write check). */
  instances: number;
  breaker: BreakerState;
  bus: "up" | "down";
}

const isName = (x: unknown): x is string => typeof x === "string" && x.length > 0 && x.length <= 1024;
const isHeld = (x: unknown): x is [string, number] =>
  Array.isArray(x) && x.length === 2 && isName(x[0]) && typeof x[1] === "number" && Number.isFinite(x[1]);
const bounded = (x: unknown): x is unknown[] => Array.isArray(x) && x.length <= MAX_PROBE_NAMES;

/** A probe off the bus, if well-formed and within bounds; anything else is ignored. */
export function probeOf(m: BusMessage): AuditProbe | undefined {
  const p = m.probe as Partial<AuditProbe> | undefined;
  if (!p || !isName(p.id) || !bounded(p.keys) || !bounded(p.tags)) return undefined;
  if (!p.keys.every(isName) || !p.tags.every(isName) || typeof p.sinceWriteMs !== "number") return undefined;
  return p as AuditProbe;
}

/** An answer off the bus, if well-formed, within bounds and meant for `to`. */
export function answerFor(m: BusMessage, to: string): AuditAnswer | undefined {
  const a = m.answer as Partial<AuditAnswer> | undefined;
  if (!a || a.to !== to || !isName(a.id) || !bounded(a.keys) || !bounded(a.tags)) return undefined;
  return a.keys.every(isHeld) && a.tags.every(isHeld) ? (a as AuditAnswer) : undefined;
}
