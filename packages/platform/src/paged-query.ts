import type { Queryable } from "./database.ts";

export interface PageQuery {
  columns: string;
  from: string;
  /** Conditions joined with AND; each refers to `params` by position. */
  where: string[];
  params: unknown[];
  orderBy: string;
  limit: number;
  offset: number;
}

/**
 * One page of rows and the total count of the filtered set. The window count returns both in one
 * statement; only a page past the end needs a second one for the total.
 */
export async function queryPage<R>(db: Queryable, q: PageQuery): Promise<{ rows: R[]; total: number }> {
  const clause = q.where.length ? `WHERE ${q.where.join(" AND ")}` : "";
  const n = q.params.length;
  const rows = await db.query<R & { __total: number }>(
    `SELECT ${q.columns}, count(*) OVER () AS __total FROM ${q.from} ${clause}
     ORDER BY ${q.orderBy} LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...q.params, q.limit, q.offset],
  );
  let total = rows[0]?.__total ?? 0;
  if (rows.length === 0 && q.offset > 0) {
    const [c] = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${q.from} ${clause}`, q.params);
    total = c?.n ?? 0;
  }
  return { rows, total };
}
