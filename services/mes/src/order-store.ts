import type {
  NewOrder,
  Order,
  OrderChanged,
  OrderQueueQuery,
  OrderStatus,
  OrderStatusEvent,
  OrderSummary,
} from "@printfab/contracts";
import {
  type Committed,
  conflict,
  type Database,
  notFound,
  type Queryable,
  queryPage,
  type RecordedEvent,
  recordEvent,
} from "@printfab/platform";
import { canTransition, nextStatuses } from "./order-lifecycle.ts";

interface OrderRow {
  id: number;
  customer_id: number;
  status: OrderStatus;
  total_cents: number;
  created_at: Date;
  updated_at: Date;
}

const toSummary = (r: OrderRow): OrderSummary => ({
  id: r.id,
  customerId: r.customer_id,
  status: r.status,
  totalCents: r.total_cents,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const SUMMARY_COLUMNS = "id, customer_id, status, total_cents, created_at, updated_at";

/** The advisory lock of the status history's seq (an arbitrary number of our own). */
const HISTORY_SEQ_LOCK = 7_346_201;

interface HistoryRow {
  id: number;
  changed_at: Date;
}

/**
 * Records the status change in the history and its `order.changed` in the outbox, inside the change's own
 * transaction: the invalidation of every cached copy, and the push to every stream, commit with the change
 * or not at all. The history row's id is the push's `seq`.
 */
async function recordChange(
  tx: Queryable,
  order: { id: number; customerId: number },
  from: OrderStatus | null,
  to: OrderStatus,
  by: string,
): Promise<RecordedEvent<OrderChanged>> {
  // Serialises the history's inserts until commit, so that seqs commit in increasing order: a stream that
  // resumes after seq N from PostgreSQL can then never miss a lower seq committed later.
  await tx.query("SELECT pg_advisory_xact_lock($1)", [HISTORY_SEQ_LOCK]);
  const [row] = await tx.query<HistoryRow>(
    `INSERT INTO mes.order_status_history (order_id, from_status, to_status, changed_by) VALUES ($1, $2, $3, $4)
     RETURNING id, changed_at`,
    [order.id, from, to, by],
  );
  const { id, changed_at } = row as HistoryRow;
  return recordEvent(tx, "mes", {
    type: "order.changed",
    orderId: order.id,
    customerId: order.customerId,
    status: to,
    from,
    at: changed_at.toISOString(),
    seq: Number(id),
  });
}

interface ChangeRow {
  seq: number;
  order_id: number;
  customer_id: number;
  from_status: OrderStatus | null;
  to_status: OrderStatus;
  changed_at: Date;
  head: number;
}

/**
 * MES's orders: the one place their SQL lives. `getOrder` and `listOrders` are the reads a cache wraps; a
 * placement or a status change commits its `order.changed` event (outbox) with the rows.
 */
export class OrderStore {
  constructor(private readonly db: Database) {}

  /** A new order's id may have been asked for (and remembered as missing), and list pages now miss it. */
  async createOrder(order: NewOrder, createdBy: string): Promise<Committed<Order, OrderChanged>> {
    const total = order.items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
    const event = await this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: number }>(
        "INSERT INTO mes.orders (customer_id, total_cents) VALUES ($1, $2) RETURNING id",
        [order.customerId, total],
      );
      const orderId = (row as { id: number }).id;
      await tx.query(
        `INSERT INTO mes.order_items (order_id, position, product_id, product_name, quantity, unit_price_cents)
         SELECT $1, p, pid, pname, q, price
         FROM unnest($2::int[], $3::bigint[], $4::text[], $5::int[], $6::bigint[]) AS t(p, pid, pname, q, price)`,
        [
          orderId,
          order.items.map((_, i) => i + 1),
          order.items.map((i) => i.productId),
          order.items.map((i) => i.productName),
          order.items.map((i) => i.quantity),
          order.items.map((i) => i.unitPriceCents),
        ],
      );
      return recordChange(tx, { id: orderId, customerId: order.customerId }, null, "created", createdBy);
    });
    return { value: (await this.getOrder(event.event.orderId)) as Order, event };
  }

  async getOrder(id: number): Promise<Order | null> {
    const [row] = await this.db.query<OrderRow>(`SELECT ${SUMMARY_COLUMNS} FROM mes.orders WHERE id = $1`, [id]);
    if (!row) return null;
    return this.withDetails(this.db, row);
  }

  async listOrders(q: OrderQueueQuery): Promise<{ items: OrderSummary[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.status) {
      params.push(q.status);
      where.push(`status = $${params.length}`);
    }
    if (q.customerId !== undefined) {
      params.push(q.customerId);
      where.push(`customer_id = $${params.length}`);
    }
    const page = await queryPage<OrderRow>(this.db, {
      columns: SUMMARY_COLUMNS,
      from: "mes.orders",
      where,
      params,
      orderBy: q.sort === "newest" ? "id DESC" : "id",
      limit: q.limit,
      offset: q.offset,
    });
    return { items: page.rows.map(toSummary), total: page.total };
  }

  /**
   * Moves an order to `to`. The row lock serializes concurrent changes of one order, so of two operators
   * racing on the same transition exactly one wins and the other gets a 409.
   */
  async changeStatus(id: number, to: OrderStatus, by: string): Promise<Committed<Order, OrderChanged>> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<OrderRow>(`SELECT ${SUMMARY_COLUMNS} FROM mes.orders WHERE id = $1 FOR UPDATE`, [
        id,
      ]);
      if (!row) throw notFound(`order ${id}`);
      if (!canTransition(row.status, to)) {
        const allowed = nextStatuses(row.status);
        throw conflict(
          "illegal_transition",
          `order ${id} is '${row.status}'; it can move to ${allowed.length ? allowed.map((s) => `'${s}'`).join(" or ") : "nothing"}, not '${to}'`,
        );
      }
      const [updated] = await tx.query<OrderRow>(
        `UPDATE mes.orders SET status = $2, updated_at = now() WHERE id = $1 RETURNING ${SUMMARY_COLUMNS}`,
        [id, to],
      );
      const event = await recordChange(tx, { id, customerId: row.customer_id }, row.status, to, by);
      return { value: await this.withDetails(tx, updated as OrderRow), event };
    });
  }

  /**
   * The status changes after `afterSeq`, oldest first, at most `limit` (one statement), and the newest
   * seq there is: more than `limit` rows means the caller missed too many to replay.
   */
  async changesSince(afterSeq: number, limit: number): Promise<{ changes: OrderStatusEvent[]; head: number }> {
    const rows = await this.db.query<ChangeRow>(
      `SELECT h.id AS seq, h.order_id, o.customer_id, h.from_status, h.to_status, h.changed_at,
              (SELECT max(id) FROM mes.order_status_history) AS head
       FROM mes.order_status_history h JOIN mes.orders o ON o.id = h.order_id
       WHERE h.id > $1 ORDER BY h.id LIMIT $2`,
      [afterSeq, limit],
    );
    const changes = rows.map((r) => ({
      orderId: Number(r.order_id),
      customerId: Number(r.customer_id),
      status: r.to_status,
      from: r.from_status,
      at: r.changed_at.toISOString(),
      seq: Number(r.seq),
    }));
    return { changes, head: Number(rows[0]?.head ?? afterSeq) };
  }

  /** The newest status change's seq (0 before any). */
  async headSeq(): Promise<number> {
    const [row] = await this.db.query<{ head: number | null }>("SELECT max(id) AS head FROM mes.order_status_history");
    return Number(row?.head ?? 0);
  }

  private async withDetails(q: Queryable, row: OrderRow): Promise<Order> {
    const items = await q.query<{
      product_id: number;
      product_name: string;
      quantity: number;
      unit_price_cents: number;
    }>(
      "SELECT product_id, product_name, quantity, unit_price_cents FROM mes.order_items WHERE order_id = $1 ORDER BY position",
      [row.id],
    );
    const history = await q.query<{
      id: number;
      from_status: OrderStatus | null;
      to_status: OrderStatus;
      changed_by: string;
      changed_at: Date;
    }>(
      "SELECT id, from_status, to_status, changed_by, changed_at FROM mes.order_status_history WHERE order_id = $1 ORDER BY id",
      [row.id],
    );
    return {
      ...toSummary(row),
      items: items.map((i) => ({
        productId: i.product_id,
        productName: i.product_name,
        quantity: i.quantity,
        unitPriceCents: i.unit_price_cents,
      })),
      history: history.map((h) => ({
        from: h.from_status,
        to: h.to_status,
        by: h.changed_by,
        at: h.changed_at.toISOString(),
        seq: Number(h.id),
      })),
    };
  }
}
