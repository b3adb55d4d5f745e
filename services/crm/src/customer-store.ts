import type { Customer, CustomerChanged, CustomerPatch } from "@printfab/contracts";
import { type Committed, conflict, type Database, isUniqueViolation, recordEvent } from "@printfab/platform";

interface CustomerRow {
  id: number;
  name: string;
  email: string;
  phone: string;
  address: string;
  updated_at: Date;
}

const COLUMNS = "id, name, email, phone, address, updated_at";
const PATCH_COLUMNS = ["name", "email", "phone", "address"] as const;

const toCustomer = (r: CustomerRow): Customer => ({
  id: r.id,
  name: r.name,
  email: r.email,
  phone: r.phone,
  address: r.address,
  updatedAt: r.updated_at.toISOString(),
});

/**
 * The CRM's customers: the one place their SQL lives. `getCustomer` is the read a cache wraps; a change
 * commits its `customer.changed` event (outbox) with the row.
 */
export class CustomerStore {
  constructor(private readonly db: Database) {}

  async getCustomer(id: number): Promise<Customer | null> {
    const [row] = await this.db.query<CustomerRow>(`SELECT ${COLUMNS} FROM crm.customers WHERE id = $1`, [id]);
    return row ? toCustomer(row) : null;
  }

  /** Null when there is no such customer (and nothing is recorded). */
  async updateCustomer(id: number, patch: CustomerPatch): Promise<Committed<Customer, CustomerChanged> | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const column of PATCH_COLUMNS) {
      if (patch[column] === undefined) continue;
      params.push(patch[column]);
      sets.push(`${column} = $${params.length}`);
    }
    try {
      return await this.db.transaction(async (tx) => {
        const [row] = await tx.query<CustomerRow>(
          `UPDATE crm.customers SET ${sets.join(", ")}, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
          params,
        );
        if (!row) return null;
        return { value: toCustomer(row), event: await recordEvent(tx, "crm", { type: "customer.changed", id }) };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict("email_taken", "another customer has this email address");
      throw err;
    }
  }
}
