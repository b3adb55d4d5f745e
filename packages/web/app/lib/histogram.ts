/** Latency quantiles from a cumulative histogram, over the requests between two polls. */

export interface Bucket {
  /** Upper bound in seconds; null is +Inf. */
  le: number | null;
  /** Requests at most `le` since the process started (cumulative, as Prometheus counts). */
  count: number;
}

/**
 * The buckets of what happened between two polls. A process that restarted between them (its counts went
 * down) has counted everything since its start, so the newer counts are the difference.
 */
export function bucketDelta(previous: readonly Bucket[] | null, current: readonly Bucket[]): Bucket[] {
  const reset =
    previous === null ||
    previous.length !== current.length ||
    current.some((b, i) => b.count < (previous[i]?.count ?? 0));
  return current.map((b, i) => ({ le: b.le, count: reset ? b.count : b.count - (previous?.[i]?.count ?? 0) }));
}

/**
 * The q-quantile (0..1) by linear interpolation inside the bucket it falls in, as Prometheus'
 * `histogram_quantile` does; past the last finite bound, that bound. Null when no request was counted.
 */
export function quantile(buckets: readonly Bucket[], q: number): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank && b.count > lowerCount) {
      if (b.le === null) return lowerBound;
      return lowerBound + (b.le - lowerBound) * ((rank - lowerCount) / (b.count - lowerCount));
    }
    if (b.le !== null) lowerBound = b.le;
    lowerCount = b.count;
  }
  return lowerBound;
}
