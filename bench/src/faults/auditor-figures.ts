import { parseMetrics, sum } from "../system/metrics-scrape.ts";

/**
 * The consistency auditor's rates in the services under the faults bench: every invalidation and one hit
 * in twenty checked, its loads up to a tenth of the hits (docs/consistency.md). Read by the platform's
 * configuration; the bench passes them to every service.
 */
export const AUDIT_ENV = {
  CACHE_AUDIT_WRITE_RATE: "1",
  CACHE_AUDIT_READ_RATE: "0.05",
  CACHE_AUDIT_MAX_LOAD_SHARE: "0.1",
};

/** How long after the load stopped the auditor's last samples have their verdicts (its delay and bound, and margin). */
export const AUDIT_SETTLE_MS = 3500;

export interface AuditorFigures {
  /** Verdicts by check (write: a name of a sampled invalidation; read: a sampled hit), summed over services. */
  checks: { write: number; read: number };
  violations: { write: number; read: number };
  /** The read check's own loads of the source. */
  loads: number;
}

/** Each service's counters, or an empty map for one that does not answer (stopped by the fault). */
export async function scrapeServices(urls: string[]): Promise<Array<Map<string, number>>> {
  const one = (url: string) =>
    fetch(`${url}/metrics`)
      .then((r) => r.text())
      .then(parseMetrics)
      .catch(() => new Map<string, number>());
  return Promise.all(urls.map(one));
}

/**
 * The auditor's figures between two scrapes. A process restarted in between starts from 0: its growth is
 * what it counted since (the figure is then a lower bound).
 */
export function auditorBetween(before: Array<Map<string, number>>, after: Array<Map<string, number>>): AuditorFigures {
  const grew = (prefix: string, ...filters: string[]) =>
    after.reduce((acc, m, i) => {
      const now = sum(m, prefix, ...filters);
      const then = sum(before[i] ?? new Map(), prefix, ...filters);
      return acc + (now >= then ? now - then : now);
    }, 0);
  const by = (metric: string) => ({
    write: grew(metric, 'check="write"'),
    read: grew(metric, 'check="read"'),
  });
  return {
    checks: by("cache_consistency_checks_total"),
    violations: by("cache_consistency_violations_total"),
    loads: grew("cache_consistency_loads_total"),
  };
}

/** The write violations between two scrapes, by process (`names[i]` for scrape i): who ran the checks. */
export function writeViolationsBy(
  names: string[],
  before: Array<Map<string, number>>,
  after: Array<Map<string, number>>,
): Record<string, number> {
  const one = (i: number) => auditorBetween([before[i] ?? new Map()], [after[i] ?? new Map()]).violations.write;
  return Object.fromEntries(names.map((name, i) => [name, one(i)]));
}
