import type { Cache, CacheResult } from "@printfab/cache";
import {
  CACHE_PREFIX,
  CRM_ORDER_LISTS_TAG,
  type Order,
  type OrderPage,
  type OrderQuery,
  orderKey,
} from "@printfab/contracts";
import type { MesOrdersClient } from "@printfab/mes-client";
import type { CacheFactory, CacheTtls } from "@printfab/platform";

/** A missing order is remembered briefly: it may be created any moment. */
const NEGATIVE_TTL_MS = 2000;

/**
 * Orders as MES answers them, cached. MES's outbox relay evicts an order when its status changes, and every
 * list page with it (they share a tag: a status change may move an order between pages).
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
      await factory.create("crm_orders", CACHE_PREFIX.crmOrders, { l1MaxBytes: 0 }),
      mes,
      ttl.order,
    );
  }

  order(id: number): Promise<CacheResult<Order | null>> {
    return this.cache.fetch(orderKey(id), () => this.mes.getOrder(id), {
      ttl: this.ttlMs,
      negativeTtl: NEGATIVE_TTL_MS,
    });
  }

  orders(q: OrderQuery): Promise<CacheResult<OrderPage>> {
    return this.cache.fetch(
      `list:${q.customerId ?? ""}:${q.status ?? ""}:${q.limit}:${q.offset}`,
      () => this.mes.listOrders(q),
      { ttl: this.ttlMs, tags: [CRM_ORDER_LISTS_TAG] },
    );
  }
}
