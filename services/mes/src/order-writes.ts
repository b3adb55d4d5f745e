import type { NewOrder, Order, OrderChanged, OrderStatus } from "@printfab/contracts";
import type { OutboxRelay } from "@printfab/platform";
import type { OrderStore } from "./order-store.ts";

/**
 * Orders placed (by the Shop, for a customer) and moved along their lifecycle (by operators). Each change
 * commits its `order.changed` event with the rows, and the outbox delivers it before the change is
 * acknowledged: the first read after the acknowledgement, anywhere, shows it.
 */
export class OrderWrites {
  constructor(
    private readonly store: OrderStore,
    private readonly outbox: OutboxRelay<OrderChanged>,
    /** Starts what production needs once an order is placed (slicing its models); never awaited. */
    private readonly placed: (order: NewOrder) => void = () => {},
  ) {}

  /** The customer, on whose behalf the Shop places the order, is its creator in the history. */
  async place(order: NewOrder): Promise<Order> {
    const placed = await this.outbox.deliverNow(await this.store.createOrder(order, `customer:${order.customerId}`));
    this.placed(order);
    return placed;
  }

  async changeStatus(id: number, to: OrderStatus, by: string): Promise<Order> {
    return this.outbox.deliverNow(await this.store.changeStatus(id, to, by));
  }
}
