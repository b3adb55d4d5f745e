import type { Cache, CacheResult } from "@printfab/cache";
import { CACHE_PREFIX, ORDER_NOT_FOUND_TTL_MS, type Order, type OrderPage, orderKey } from "@printfab/contracts";
import type { MesOrdersClient } from "@printfab/mes-client";
import type { CacheFactory, CacheTtls } from "@printfab/platform";

/** Staff login names are not the customer's to see: a change is theirs ("customer") or ours ("printfab"). */
function customerView(order: Order): Order {
  return {
    ...order,
    history: order.history.map((h) => ({ ...h, by: h.by.startsWith("customer:") ? "customer" : "printfab" })),
  };
}

/**
 * A customer's view of their orders. Orders are read through MES's key space (`order:<id>`, shared with
 * the CRM and MES, and invalidated by MES's outbox when the order changes): the cached value is the order
 * itself, not a customer's view, so whose it is gets checked on every read, after the cache. Another
 * customer's order is answered exactly as a missing one.
 */
export class OrderReads {
  private constructor(
    private readonly cache: Cache,
    private readonly mes: MesOrdersClient,
    private readonly ttlMs: number,
  ) {}

  static async create(factory: CacheFactory, ttl: CacheTtls, mes: MesOrdersClient): Promise<OrderReads> {
    // L2 only: an acknowledged status change must be visible to the very next read, and L1 copies in
    // other processes would lag by the bus's delivery time. Still no call to MES on a hit.
    return new OrderReads(
      await factory.create("shop_orders", CACHE_PREFIX.mesOrders, { l1MaxBytes: 0 }),
      mes,
      ttl.order,
    );
  }

  async customerOrder(customerId: number, orderId: number): Promise<CacheResult<Order | null>> {
    const found = await this.cache.fetch(orderKey(orderId), () => this.mes.getOrder(orderId), {
      ttl: this.ttlMs,
      negativeTtl: ORDER_NOT_FOUND_TTL_MS,
    });
    const order = found.value;
    return { ...found, value: order && order.customerId === customerId ? customerView(order) : null };
  }

  /** The customer's own orders, newest first: straight from MES, which filters them by customer. */
  customerOrders(customerId: number, page: { limit: number; offset: number }): Promise<OrderPage> {
    return this.mes.listOrders({ customerId, ...page, sort: "newest" });
  }
}
