/** Percentile of sorted samples (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export interface Measurement {
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
}

/** Runs `op` sequentially for about `ms`, timing each call. */
export async function measureSequential(op: (i: number) => unknown, ms: number): Promise<Measurement> {
  const samples: number[] = [];
  const end = performance.now() + ms;
  let i = 0;
  const started = performance.now();
  while (performance.now() < end) {
    for (let j = 0; j < 1000; j++, i++) {
      const t = performance.now();
      const r = op(i);
      if (r instanceof Promise) await r;
      samples.push(performance.now() - t);
    }
  }
  return summarize(samples, performance.now() - started);
}

/** Keeps `inFlight` calls of `op` running for about `ms`. */
export async function measureConcurrent(
  op: (i: number) => Promise<unknown>,
  inFlight: number,
  ms: number,
): Promise<Measurement> {
  const samples: number[] = [];
  const end = performance.now() + ms;
  let i = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op(i++);
        samples.push(performance.now() - t);
      }
    }),
  );
  return summarize(samples, performance.now() - started);
}

function summarize(samples: number[], elapsedMs: number): Measurement {
  const sorted = samples.sort((a, b) => a - b);
  return {
    opsPerSec: Math.round(samples.length / (elapsedMs / 1000)),
    p50Us: Math.round(percentile(sorted, 50) * 1000 * 10) / 10,
    p99Us: Math.round(percentile(sorted, 99) * 1000 * 10) / 10,
  };
}

/** A fixed-width text table. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) =>
    `| ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c] ?? 0) : v.padStart(widths[c] ?? 0))).join(" | ")} |`;
  return [
    line(headers),
    `|${widths.map((w, c) => (c === 0 ? `${"-".repeat(w + 1)}-` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...cells.slice(1).map(line),
  ].join("\n");
}

/** A figure over a few runs: the median with the lowest and highest, so noise shows next to the value. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}
