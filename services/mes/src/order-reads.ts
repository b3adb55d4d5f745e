import type { Cache, CacheResult } from "@printfab/cache";
import {
  CACHE_PREFIX,
  ORDER_NOT_FOUND_TTL_MS,
  ORDERS_TAG,
  type Order,
  type OrderChanged,
  type OrderPage,
  type OrderQueueQuery,
  orderKey,
} from "@printfab/contracts";
import type { CacheFactory, CacheTtls } from "@printfab/platform";
import type { OrderStore } from "./order-store.ts";

/**
 * MES's order reads, and the owner of the orders' key space: the Shop and the CRM read orders through the
 * same entries (`order:<id>`, and list pages tagged `orders`), so an order's change is one invalidation
 * here, whoever shows the order. The queue comes from PostgreSQL.
 */
export class OrderReads {
  private constructor(
    private readonly cache: Cache,
    private readonly store: OrderStore,
    private readonly ttlMs: number,
  ) {}

  static async create(factory: CacheFactory, ttl: CacheTtls, store: OrderStore): Promise<OrderReads> {
    // L2 only: an acknowledged status change must be visible to the very next read in every instance.
    return new OrderReads(
      await factory.create("mes_orders", CACHE_PREFIX.mesOrders, { l1MaxBytes: 0 }),
      store,
      ttl.order,
    );
  }

  order(id: number): Promise<CacheResult<Order | null>> {
    return this.cache.fetch(orderKey(id), () => this.store.getOrder(id), {
      ttl: this.ttlMs,
      negativeTtl: ORDER_NOT_FOUND_TTL_MS,
    });
  }

  /**
   * One order for a neighbour's cache, from PostgreSQL. The Shop and the CRM ask on a miss of the shared
   * entry while they hold its lease: answering through the cache would wait on that very lease.
   */
  async orderForNeighbour(id: number): Promise<CacheResult<Order | null>> {
    return { value: await this.store.getOrder(id), status: "bypass", collapsed: false, stored: false, ttlMs: 0 };
  }

  async queue(q: OrderQueueQuery): Promise<OrderPage> {
    return { ...(await this.store.listOrders(q)), limit: q.limit, offset: q.offset };
  }

  /**
   * Delivers `order.changed` (the outbox's fast path and relay): the order's entry and every list page,
   * as one unit, for every service that reads them.
   */
  orderChanged({ orderId }: OrderChanged): Promise<void> {
    return this.cache.invalidate({ keys: [orderKey(orderId)], tags: [ORDERS_TAG] });
  }
}
