import type { Queryable } from "./database.ts";

/** A domain event as an outbox row carries it: a JSON object named by its `type` (`product.changed`, ...). */
export interface OutboxEvent {
  readonly type: string;
}

/** An event written into a service's outbox and not yet delivered; its row id lets the fast path delete it. */
export interface RecordedEvent<E extends OutboxEvent> {
  readonly id: number;
  readonly event: E;
}

/** What a write committed, with the event it recorded in the same transaction. */
export interface Committed<T, E extends OutboxEvent> {
  readonly value: T;
  readonly event: RecordedEvent<E>;
}

const SCHEMA_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** The outbox table of a service's schema; the name is checked because it is spliced into SQL. */
export function outboxTable(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  return `${schema}.outbox`;
}

/**
 * Writes `event` into `schema`'s outbox inside the write's own transaction `tx`: the event commits with
 * the change it describes, or not at all, so a crash after the commit delays its delivery but cannot lose it.
 */
export async function recordEvent<E extends OutboxEvent>(
  tx: Queryable,
  schema: string,
  event: E,
): Promise<RecordedEvent<E>> {
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO ${outboxTable(schema)} (payload) VALUES ($1) RETURNING id`,
    [JSON.stringify(event)],
  );
  return { id: (row as { id: number }).id, event };
}
