import type { OrderStatus } from "@printfab/contracts";
import { pathTo } from "@printfab/mes";
import type { Transaction } from "@printfab/platform";
import type { Random } from "./random.ts";

export interface CatalogueRow {
  id: number;
  name: string;
  price_cents: number;
}

/**
 * One batch of seeded orders with their items and status histories, as columns: three multi-row inserts
 * (unnest of arrays) instead of a statement per row.
 */
export class OrderBatch {
  readonly #orders = {
    id: [] as number[],
    customer: [] as number[],
    status: [] as string[],
    total: [] as number[],
    at: [] as string[],
  };
  readonly #items = {
    order: [] as number[],
    pos: [] as number[],
    product: [] as number[],
    name: [] as string[],
    qty: [] as number[],
    price: [] as number[],
  };
  readonly #history = {
    order: [] as number[],
    from: [] as Array<string | null>,
    to: [] as string[],
    by: [] as string[],
    at: [] as string[],
  };

  /** An order of one to three distinct products, created in the last 90 days, with a history that leads to `status`. */
  add(id: number, status: OrderStatus, rnd: Random, customer: number, products: CatalogueRow[]): void {
    const created = Date.now() - rnd.int(1, 90 * 24) * 3_600_000;
    const total = this.#addItems(id, rnd, products);
    const steps = pathTo(status, rnd.pick(["created", "approved", "printing"] as const));
    steps.forEach(([fromStatus, to], k) => {
      this.#history.order.push(id);
      this.#history.from.push(fromStatus);
      this.#history.to.push(to);
      this.#history.by.push(k === 0 ? `customer:${customer}` : "operator:seed");
      this.#history.at.push(new Date(created + k * 3_600_000).toISOString());
    });
    this.#orders.id.push(id);
    this.#orders.customer.push(customer);
    this.#orders.status.push(status);
    this.#orders.total.push(total);
    this.#orders.at.push(new Date(created).toISOString());
  }

  #addItems(id: number, rnd: Random, products: CatalogueRow[]): number {
    let total = 0;
    const lines = rnd.int(1, 3);
    const used = new Set<number>();
    for (let pos = 1; pos <= lines; pos++) {
      const p = rnd.pick(products);
      if (used.has(p.id)) continue;
      used.add(p.id);
      const qty = rnd.int(1, 5);
      total += qty * p.price_cents;
      this.#items.order.push(id);
      this.#items.pos.push(pos);
      this.#items.product.push(p.id);
      this.#items.name.push(p.name);
      this.#items.qty.push(qty);
      this.#items.price.push(p.price_cents);
    }
    return total;
  }

  async insert(tx: Transaction): Promise<void> {
    const o = this.#orders;
    const it = this.#items;
    const h = this.#history;
    await tx.query(
      `INSERT INTO mes.orders (id, customer_id, status, total_cents, created_at, updated_at) OVERRIDING SYSTEM VALUE
       SELECT id, c, s, t, at, at FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::timestamptz[]) AS x(id, c, s, t, at)`,
      [o.id, o.customer, o.status, o.total, o.at],
    );
    await tx.query(
      `INSERT INTO mes.order_items (order_id, position, product_id, product_name, quantity, unit_price_cents)
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::int[], $6::bigint[])`,
      [it.order, it.pos, it.product, it.name, it.qty, it.price],
    );
    await tx.query(
      `INSERT INTO mes.order_status_history (order_id, from_status, to_status, changed_by, changed_at)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])`,
      [h.order, h.from, h.to, h.by, h.at],
    );
  }
}
