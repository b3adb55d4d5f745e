/** Rates and ratios the dashboard derives from cumulative counters. */

/**
 * Per-second rate of a counter between two readings `seconds` apart. A counter that went down belongs to a
 * restarted process: all it counted since is new.
 */
export function rate(previous: number | null | undefined, current: number, seconds: number): number | null {
  if (previous === null || previous === undefined || seconds <= 0) return null;
  const delta = current >= previous ? current - previous : current;
  return delta / seconds;
}

/** a / (a + b), or null when both are 0. */
export function share(a: number, b: number): number | null {
  return a + b > 0 ? a / (a + b) : null;
}

export interface Nines {
  /** -log10(violations / checks). */
  value: number;
  /** True while no violation was seen: the figure is a lower bound, log10(checks). */
  atLeast: boolean;
}

/** The consistency auditor's result as a number of nines; null before any check. */
export function nines(checks: number, violations: number): Nines | null {
  if (checks <= 0) return null;
  if (violations <= 0) return { value: Math.log10(checks), atLeast: true };
  return { value: Math.max(0, -Math.log10(violations / checks)), atLeast: false };
}

export function formatNines(n: Nines | null): string {
  if (n === null) return "no checks yet";
  return `${n.atLeast ? "≥ " : ""}${n.value.toFixed(1)} nines`;
}
