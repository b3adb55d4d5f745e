import { type Spread, spread } from "../stats.ts";
import type { CatalogueFigures } from "./catalogue-rounds.ts";

export const n = (v: number, digits = 0) =>
  v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** `median [min–max]`, the form every figure taken over several rounds has in the report. */
export const spreadText = (s: Spread, digits = 2, unit = "") =>
  `${n(s.median, digits)}${unit} [${n(s.min, digits)}–${n(s.max, digits)}]`;

/** Each round's `f`, as a spread. */
export const over = (c: CatalogueFigures, f: (r: CatalogueFigures["rounds"][number]) => number) =>
  spread(c.rounds.map(f));

export const catalogueRatios = (c: CatalogueFigures) => ({
  rps: over(c, (r) => r.on.result.rps / r.off.result.rps),
  p99: over(c, (r) => r.on.result.p99 / r.off.result.p99),
  db: over(c, (r) => r.on.dbQueriesPerRequest / r.off.dbQueriesPerRequest),
  s3: over(c, (r) => r.on.s3RequestsPerRequest / Math.max(1e-9, r.off.s3RequestsPerRequest)),
  limit: over(c, (r) => r.on.result.rps / r.limit.rps),
  dbPerRequest: over(c, (r) => r.on.dbQueriesPerRequest),
  traced: over(c, (r) => r.traced.result.rps / r.on.result.rps),
  audited: over(c, (r) => r.on.result.rps / r.unaudited.result.rps),
});
