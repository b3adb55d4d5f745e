import type { NewOrder, Order, OrderStatus } from "@printfab/contracts";
import type { OrderStore } from "./order-store.ts";
import type { OutboxRelay } from "./outbox-relay.ts";

/** Orders placed (by the Shop, for a customer) and moved along their lifecycle (by operators). */
export class OrderWrites {
  constructor(
    private readonly store: OrderStore,
    private readonly relay: OutboxRelay,
  ) {}

  /** The customer, on whose behalf the Shop places the order, is its creator in the history. */
  place(order: NewOrder): Promise<Order> {
    return this.store.createOrder(order, `customer:${order.customerId}`);
  }

  async changeStatus(id: number, to: OrderStatus, by: string): Promise<Order> {
    const { order, outboxId } = await this.store.changeStatus(id, to, by);
    // The fast path: evict now, so the usual delay is milliseconds; the relay is the guarantee.
    await this.relay.deliverNow(outboxId, { orderId: order.id, customerId: order.customerId });
    return order;
  }
}
