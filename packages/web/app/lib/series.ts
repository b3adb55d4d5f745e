/** A chart's data: timestamped points, the oldest dropped once they leave the window. */

export interface Point {
  t: number;
  v: number;
}

export const CHART_WINDOW_MS = 5 * 60_000;

/** The series with `point` appended (if it is a number) and points older than the window dropped. */
export function appendPoint(
  series: readonly Point[],
  point: { t: number; v: number | null },
  windowMs = CHART_WINDOW_MS,
): Point[] {
  const kept = series.filter((p) => p.t > point.t - windowMs && p.t <= point.t);
  if (point.v !== null && Number.isFinite(point.v)) kept.push({ t: point.t, v: point.v });
  return kept;
}

/** The SVG path of a series in a width x height box, time on x (the window ending now), 0..max on y. */
export function linePath(
  series: readonly Point[],
  now: number,
  width: number,
  height: number,
  windowMs = CHART_WINDOW_MS,
): { d: string; max: number } {
  const max = Math.max(...series.map((p) => p.v), 0) || 1;
  const x = (t: number) => ((t - (now - windowMs)) / windowMs) * width;
  const y = (v: number) => height - (v / max) * height;
  const d = series.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
  return { d, max };
}
