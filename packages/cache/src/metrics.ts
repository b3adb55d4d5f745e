import { Counter, type Registry } from "prom-client";
import type { Cache } from "./cache.ts";
import type { CacheStats } from "./events.ts";

type Read = (stats: CacheStats, inc: (labels: Record<string, string>, value: number) => void) => void;

interface Spec {
  name: string;
  help: string;
  labelNames: string[];
  read: Read;
  /** Shown at 0 from the first scrape: a ratio of violations to checks needs both series to exist. */
  zeros?: boolean;
}

/**
 * A counter over the caches it reports: the engine counts in plain numbers on its hot path, and they are
 * turned into metrics when scraped. One per registry and name; the caches of every factory that shares
 * the registry join the one there.
 */
class CacheCounter extends Counter {
  readonly caches: Set<Cache>;

  constructor(spec: Spec, registry: Registry) {
    const caches = new Set<Cache>();
    const reported = new WeakMap<Cache, Map<string, number>>();
    super({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      registers: [registry],
      collect() {
        for (const cache of caches) {
          let seen = reported.get(cache);
          if (!seen) {
            seen = new Map();
            reported.set(cache, seen);
          }
          const last = seen;
          spec.read(cache.stats, (labels, value) => {
            const id = JSON.stringify(labels);
            const delta = value - (last.get(id) ?? 0);
            if (delta > 0 || (spec.zeros && !last.has(id))) this.labels({ cache: cache.name, ...labels }).inc(delta);
            last.set(id, value);
          });
        }
      },
    });
    this.caches = caches;
  }
}

const SPECS: Spec[] = [
  {
    name: "cache_requests_total",
    help: "Cache lookups by outcome",
    labelNames: ["cache", "result"],
    read: (s, inc) => {
      for (const result of ["hit_l1", "hit_l2", "miss", "stale", "bypass"] as const) inc({ result }, s[result]);
    },
  },
  {
    name: "cache_loads_total",
    help: "Loader runs (backend work)",
    labelNames: ["cache"],
    read: (s, inc) => inc({}, s.loads),
  },
  {
    name: "cache_load_errors_total",
    help: "Loader failures",
    labelNames: ["cache"],
    read: (s, inc) => inc({}, s.load_errors),
  },
  {
    name: "cache_invalidations_total",
    help: "Invalidations by kind",
    labelNames: ["cache", "kind"],
    read: (s, inc) => {
      inc({ kind: "key" }, s.invalidations_key);
      inc({ kind: "tag" }, s.invalidations_tag);
    },
  },
  {
    name: "cache_consistency_checks_total",
    help: "Consistency auditor's verdicts, by check (write: a name of a sampled invalidation; read: a sampled hit)",
    labelNames: ["cache", "check"],
    zeros: true,
    read: (s, inc) => {
      inc({ check: "write" }, s.checks_write);
      inc({ check: "read" }, s.checks_read);
    },
  },
  {
    name: "cache_consistency_violations_total",
    help: "Consistency auditor's checks that found an old value served or servable",
    labelNames: ["cache", "check"],
    zeros: true,
    read: (s, inc) => {
      inc({ check: "write" }, s.violations_write);
      inc({ check: "read" }, s.violations_read);
    },
  },
  {
    name: "cache_consistency_loads_total",
    help: "Source loads made by the consistency auditor's read check (its extra load)",
    labelNames: ["cache"],
    zeros: true,
    read: (s, inc) => inc({}, s.audit_loads),
  },
];

function counterIn(registry: Registry, spec: Spec): CacheCounter {
  const existing = registry.getSingleMetric(spec.name);
  if (existing instanceof CacheCounter) return existing;
  if (existing) throw new Error(`metric ${spec.name} is already registered, and not by registerCacheMetrics`);
  return new CacheCounter(spec, registry);
}

/**
 * Exposes a cache in `registry` with the metric names of docs/architecture.md ("Contracts"): cache_requests_total{cache,
 * result}, cache_loads_total{cache}, cache_load_errors_total{cache}, cache_invalidations_total{cache,kind}, and the
 * consistency auditor's cache_consistency_checks_total{cache,check}, cache_consistency_violations_total{cache,check}
 * and cache_consistency_loads_total{cache} (docs/consistency.md).
 * Returns the function that stops reporting it (counts already scraped stay, as counters do).
 */
export function registerCacheMetrics(cache: Cache, registry: Registry): () => void {
  const counters = SPECS.map((spec) => counterIn(registry, spec));
  for (const c of counters) c.caches.add(cache);
  return () => {
    for (const c of counters) c.caches.delete(cache);
  };
}
