import type { Cache, CacheResult } from "@printfab/cache";
import {
  CACHE_PREFIX,
  ORDER_NOT_FOUND_TTL_MS,
  ORDERS_TAG,
  type Order,
  type OrderPage,
  type OrderQuery,
  orderKey,
  orderListKey,
} from "@printfab/contracts";
import type { MesOrdersClient } from "@printfab/mes-client";
import type { CacheFactory, CacheTtls } from "@printfab/platform";

/**
 * Orders as MES answers them, read through MES's key space (shared with the Shop and MES). MES's outbox
 * invalidates an order's entry when it changes, and every list page with it (they carry the `orders` tag:
 * any change may move an order between pages).
 */
export class OrderReads {
  private constructor(
    private readonly cache: Cache,
    private readonly mes: MesOrdersClient,
    private readonly ttlMs: number,
  ) {}

  static async create(factory: CacheFactory, ttl: CacheTtls, mes: MesOrdersClient): Promise<OrderReads> {
    // Orders change status under operators' hands: L2 only, so an acknowledged change is seen at once.
    return new OrderReads(
      await factory.create("crm_orders", CACHE_PREFIX.mesOrders, { l1MaxBytes: 0 }),
      mes,
      ttl.order,
    );
  }

  order(id: number): Promise<CacheResult<Order | null>> {
    return this.cache.fetch(orderKey(id), () => this.mes.getOrder(id), {
      ttl: this.ttlMs,
      negativeTtl: ORDER_NOT_FOUND_TTL_MS,
    });
  }

  orders(q: OrderQuery): Promise<CacheResult<OrderPage>> {
    return this.cache.fetch(orderListKey(q), () => this.mes.listOrders(q), { ttl: this.ttlMs, tags: [ORDERS_TAG] });
  }
}
