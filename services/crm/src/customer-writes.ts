import type { Customer, CustomerPatch } from "@printfab/contracts";
import { notFound, type Principal } from "@printfab/platform";
import type { CustomerReads } from "./customer-reads.ts";
import type { CustomerStore } from "./customer-store.ts";
import { assertKeepsEmail, assertOwnProfile } from "./profile-access.ts";

/** Changes to customer profiles, by a manager or by that customer; the cached profile goes after the commit. */
export class CustomerWrites {
  constructor(
    private readonly store: CustomerStore,
    private readonly reads: CustomerReads,
  ) {}

  async updateProfile(principal: Principal, id: number, patch: CustomerPatch): Promise<Customer> {
    assertOwnProfile(principal, id);
    if (principal.role === "customer" && patch.email !== undefined) {
      assertKeepsEmail(await this.store.getCustomer(id), patch.email);
    }
    const customer = await this.store.updateCustomer(id, patch);
    if (!customer) throw notFound(`customer ${id}`);
    await this.reads.customerChanged(customer.id);
    return customer;
  }
}
