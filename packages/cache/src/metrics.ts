import { Counter, type Registry, register } from "prom-client";
import type { Cache } from "./cache.ts";
import type { CacheStats } from "./events.ts";

function counter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: (stats: CacheStats, inc: (labels: Record<string, string>, value: number) => void) => void,
) {
  const existing = registry.getSingleMetric(name) as (Counter & { __caches?: Set<Cache> }) | undefined;
  if (existing?.__caches) return existing.__caches;
  const caches = new Set<Cache>();
  const reported = new WeakMap<Cache, Map<string, number>>();
  const metric = new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    // The engine counts in plain numbers on its hot path; they are turned into metrics when scraped.
    collect() {
      for (const cache of caches) {
        let seen = reported.get(cache);
        if (!seen) {
          seen = new Map();
          reported.set(cache, seen);
        }
        read(cache.stats, (labels, value) => {
          const id = JSON.stringify(labels);
          const delta = value - (seen.get(id) ?? 0);
          if (delta > 0) this.labels({ cache: cache.name, ...labels }).inc(delta);
          seen.set(id, value);
        });
      }
    },
  }) as Counter & { __caches?: Set<Cache> };
  metric.__caches = caches;
  return caches;
}

/**
 * Exposes caches with the metric names of DESIGN.md section 8: cache_requests_total{cache,result},
 * cache_loads_total{cache}, cache_load_errors_total{cache}, cache_invalidations_total{cache,kind}.
 */
export function registerCacheMetrics(cache: Cache, registry: Registry = register): void {
  const sets = [
    counter(registry, "cache_requests_total", "Cache lookups by outcome", ["cache", "result"], (s, inc) => {
      for (const result of ["hit_l1", "hit_l2", "miss", "stale", "bypass"] as const) inc({ result }, s[result]);
    }),
    counter(registry, "cache_loads_total", "Loader runs (backend work)", ["cache"], (s, inc) => inc({}, s.loads)),
    counter(registry, "cache_load_errors_total", "Loader failures", ["cache"], (s, inc) => inc({}, s.load_errors)),
    counter(registry, "cache_invalidations_total", "Invalidations by kind", ["cache", "kind"], (s, inc) => {
      inc({ kind: "key" }, s.invalidations_key);
      inc({ kind: "tag" }, s.invalidations_tag);
    }),
  ];
  for (const set of sets) set.add(cache);
}
