import type { Cache, CacheResult } from "@printfab/cache";
import { CACHE_PREFIX, type Order, type OrderPage, type OrderQuery, orderKey } from "@printfab/contracts";
import type { CacheFactory, CacheTtls } from "@printfab/platform";
import type { OrderStore } from "./order-store.ts";

/** A missing order is remembered briefly: it may be created any moment. */
const NEGATIVE_TTL_MS = 2000;

/** MES's order reads: one order through the cache (evicted by the outbox relay), the queue from PostgreSQL. */
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
      negativeTtl: NEGATIVE_TTL_MS,
    });
  }

  async queue(q: OrderQuery): Promise<OrderPage> {
    return { ...(await this.store.listOrders(q)), limit: q.limit, offset: q.offset };
  }
}
