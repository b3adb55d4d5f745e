import type { Cache, CacheResult } from "@printfab/cache";
import { CACHE_PREFIX, type Customer, type CustomerChanged } from "@printfab/contracts";
import type { CacheFactory, CacheTtls, Principal } from "@printfab/platform";
import type { CustomerStore } from "./customer-store.ts";
import { assertOwnProfile } from "./profile-access.ts";

/** Not-found profiles are remembered briefly, so a flood of requests for a missing id costs little. */
const NEGATIVE_TTL_MS = 5000;

const customerKey = (id: number) => `customer:${id}`;

/** Customer profiles through the cache, by id; evicted by the CRM's outbox when a profile changes. */
export class CustomerReads {
  private constructor(
    private readonly cache: Cache,
    private readonly store: CustomerStore,
    private readonly ttlMs: number,
  ) {}

  static async create(factory: CacheFactory, ttl: CacheTtls, store: CustomerStore): Promise<CustomerReads> {
    return new CustomerReads(await factory.create("crm_customers", CACHE_PREFIX.crmCustomers), store, ttl.customer);
  }

  /** A profile as `principal` may see it. The ownership check comes first: the key is the profile's own id. */
  profileFor(principal: Principal, id: number): Promise<CacheResult<Customer | null>> {
    assertOwnProfile(principal, id);
    return this.customer(id);
  }

  customer(id: number): Promise<CacheResult<Customer | null>> {
    return this.cache.fetch(customerKey(id), () => this.store.getCustomer(id), {
      ttl: this.ttlMs,
      negativeTtl: NEGATIVE_TTL_MS,
    });
  }

  /** Delivers `customer.changed` (the outbox's fast path and relay): the cached profile goes. */
  customerChanged({ id }: CustomerChanged): Promise<void> {
    return this.cache.invalidate({ keys: [customerKey(id)] });
  }
}
