import type { Customer } from "@printfab/contracts";
import { forbidden, notFound, type Principal } from "@printfab/platform";

/** A customer may act on their own profile only; another's is answered as missing (404), never 403. */
export function assertOwnProfile(principal: Principal, id: number): void {
  if (principal.role === "customer" && principal.sub !== String(id)) throw notFound(`customer ${id}`);
}

/**
 * Without a verification step, a customer's own email change would answer 409 for an address another
 * customer holds, which tells who is a customer. Their email changes go through a manager; a form that
 * sends the unchanged address back is fine.
 */
export function assertKeepsEmail(current: Customer | null, email: string): void {
  if (current && current.email.toLowerCase() !== email.toLowerCase()) {
    throw forbidden("a customer's email address is changed by a manager");
  }
}
