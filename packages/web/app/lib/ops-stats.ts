import { type Bucket, bucketDelta, quantile } from "./histogram.ts";
import { type Nines, nines, rate, share } from "./rates.ts";

/** `GET /ops/stats`: counters since the process started. */
export interface OpsStats {
  service: string;
  at: string;
  startedAt: string;
  caches: CacheCounters[];
  db: { queries: number };
  objectStore: { get: number; put: number; head: number; delete: number };
  http: { requests: number; buckets: Bucket[] };
  outbox: { pending: number; lagSeconds: { count: number; sum: number } };
  redis: { kind: string; breaker: string | null; bus: string | null };
}

export interface CacheCounters {
  name: string;
  hitL1: number;
  hitL2: number;
  miss: number;
  stale: number;
  bypass: number;
  loads: number;
  loadErrors: number;
  invalidations: number;
  checks: number;
  violations: number;
}

export interface CacheReading {
  name: string;
  /** Hits over lookups since the process started. */
  hitRatio: number | null;
  hitsPerSec: number | null;
  loadsPerSec: number | null;
  loads: number;
  invalidations: number;
  stale: number;
  nines: Nines | null;
}

/** What the dashboard shows for one poll, from it and the one before. */
export interface Reading {
  service: string;
  atMs: number;
  caches: CacheReading[];
  dbQps: number | null;
  s3Rps: number | null;
  /** The cache's share of the reads: hits / (hits + loads), over the last interval. */
  cacheShare: number | null;
  requestsPerSec: number | null;
  p50: number | null;
  p99: number | null;
  outboxPending: number;
  /** Mean lag of the outbox events delivered in the last interval, seconds. */
  outboxLag: number | null;
  redis: OpsStats["redis"];
}

const hits = (c: CacheCounters) => c.hitL1 + c.hitL2;
const lookups = (c: CacheCounters) => hits(c) + c.miss + c.stale + c.bypass;
const s3Requests = (s: OpsStats) => s.objectStore.get + s.objectStore.put + s.objectStore.head + s.objectStore.delete;

/** A process that restarted between two polls is read as a first poll: its counters began again. */
function sameProcess(previous: OpsStats | null, current: OpsStats): previous is OpsStats {
  return previous !== null && previous.startedAt === current.startedAt && previous.service === current.service;
}

export function readStats(previousPoll: OpsStats | null, current: OpsStats): Reading {
  const previous = sameProcess(previousPoll, current) ? previousPoll : null;
  const seconds = previous ? (Date.parse(current.at) - Date.parse(previous.at)) / 1000 : 0;
  const before = (name: string) => previous?.caches.find((c) => c.name === name) ?? null;
  const caches = current.caches.map((c): CacheReading => {
    const p = before(c.name);
    return {
      name: c.name,
      hitRatio: lookups(c) > 0 ? hits(c) / lookups(c) : null,
      hitsPerSec: rate(p ? hits(p) : null, hits(c), seconds),
      loadsPerSec: rate(p?.loads, c.loads, seconds),
      loads: c.loads,
      invalidations: c.invalidations,
      stale: c.stale,
      nines: nines(c.checks, c.violations),
    };
  });
  const hitsDelta = sum(caches.map((c) => c.hitsPerSec));
  const loadsDelta = sum(caches.map((c) => c.loadsPerSec));
  const latency = previous ? bucketDelta(previous.http.buckets, current.http.buckets) : [];
  const lag = current.outbox.lagSeconds;
  const lagCount = previous ? lag.count - previous.outbox.lagSeconds.count : 0;
  return {
    service: current.service,
    atMs: Date.parse(current.at),
    caches,
    dbQps: rate(previous?.db.queries, current.db.queries, seconds),
    s3Rps: rate(previous ? s3Requests(previous) : null, s3Requests(current), seconds),
    cacheShare: hitsDelta === null || loadsDelta === null ? null : share(hitsDelta, loadsDelta),
    requestsPerSec: rate(previous?.http.requests, current.http.requests, seconds),
    p50: quantile(latency, 0.5),
    p99: quantile(latency, 0.99),
    outboxPending: current.outbox.pending,
    outboxLag: previous && lagCount > 0 ? (lag.sum - previous.outbox.lagSeconds.sum) / lagCount : null,
    redis: current.redis,
  };
}

/** The sum of known values; null when none is known. */
function sum(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}
