import type { Customer, CustomerChanged, CustomerPatch } from "@printfab/contracts";
import { notFound, type OutboxRelay, type Principal } from "@printfab/platform";
import type { CustomerStore } from "./customer-store.ts";
import { assertKeepsEmail, assertOwnProfile } from "./profile-access.ts";

/**
 * Changes to customer profiles, by a manager or by that customer. Each commits its `customer.changed`
 * event with the row, and the outbox delivers it (the cached profile goes) before the change is acknowledged.
 */
export class CustomerWrites {
  constructor(
    private readonly store: CustomerStore,
    private readonly outbox: OutboxRelay<CustomerChanged>,
  ) {}

  async updateProfile(principal: Principal, id: number, patch: CustomerPatch): Promise<Customer> {
    assertOwnProfile(principal, id);
    if (principal.role === "customer" && patch.email !== undefined) {
      assertKeepsEmail(await this.store.getCustomer(id), patch.email);
    }
    const committed = await this.store.updateCustomer(id, patch);
    if (!committed) throw notFound(`customer ${id}`);
    return this.outbox.deliverNow(committed);
  }
}
