/** The order status events of the services' event streams (`event: status`), parsed and de-duplicated. */

export interface StatusEvent {
  orderId: number;
  customerId: number;
  status: string;
  from: string | null;
  at: string;
  /** Global and increasing (the status-history row id): the stream's `id:` line. */
  seq: number;
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** The event in a `data:` line, or null when it is not one (a stream is input like any other). */
export function parseStatusEvent(data: string): StatusEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const e = raw as Record<string, unknown>;
  if (!isInt(e.orderId) || !isInt(e.customerId) || !isInt(e.seq)) return null;
  if (typeof e.status !== "string" || typeof e.at !== "string") return null;
  if (e.from !== null && e.from !== undefined && typeof e.from !== "string") return null;
  return {
    orderId: e.orderId,
    customerId: e.customerId,
    status: e.status,
    from: typeof e.from === "string" ? e.from : null,
    at: e.at,
    seq: e.seq,
  };
}

/**
 * Lets each order's changes through once and in order. A reconnection replays from `Last-Event-ID` (and a
 * little before it), and a page that read the current state before opening its stream may see a change
 * twice: both are dropped. The filter is per order: one order's changes have increasing seqs, but changes
 * of different orders may be pushed out of seq order, and a lower seq for another order is news.
 */
export class SeqFilter {
  readonly #last = new Map<number, number>();

  /** `known`: the seq each order is known at already (the page read it before opening the stream). */
  constructor(known: Iterable<[orderId: number, seq: number]> = []) {
    for (const [orderId, seq] of known) this.#last.set(orderId, seq);
  }

  /** The last seq let through for `orderId` (0 if none). */
  last(orderId: number): number {
    return this.#last.get(orderId) ?? 0;
  }

  /** True the first time a seq above the order's earlier ones is offered. */
  accept(event: Pick<StatusEvent, "seq" | "orderId">): boolean {
    if (event.seq <= this.last(event.orderId)) return false;
    this.#last.set(event.orderId, event.seq);
    return true;
  }
}
