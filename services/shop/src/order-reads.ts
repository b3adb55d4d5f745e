import type { Cache, CacheResult } from "@printfab/cache";
import { CACHE_PREFIX, type Order, shopOrderKey } from "@printfab/contracts";
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
 * A customer's view of their orders, cached per customer: the key holds the customer's id, and the loader
 * stores nothing but that customer's own order (another's is remembered as not found, under the asking
 * customer's key). MES's outbox relay evicts the entry when the order's status changes.
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
      await factory.create("shop_orders", CACHE_PREFIX.shopOrders, { l1MaxBytes: 0 }),
      mes,
      ttl.order,
    );
  }

  customerOrder(customerId: number, orderId: number): Promise<CacheResult<Order | null>> {
    return this.cache.fetch(
      shopOrderKey(customerId, orderId),
      async () => {
        const order = await this.mes.getOrder(orderId);
        return order && order.customerId === customerId ? customerView(order) : null;
      },
      { ttl: this.ttlMs, negativeTtl: 5000 },
    );
  }
}
