import { ORDER_STATUSES, type OrderLifecycle, type OrderStatus } from "@printfab/contracts";

/** The order status lifecycle (docs/architecture.md), owned by MES. Pure: no I/O. */

/** The forward path, in order; `cancelled` branches off it. */
export const ORDER_PATH: readonly OrderStatus[] = ORDER_STATUSES.filter((s) => s !== "cancelled");

const CANCELLABLE = new Set<OrderStatus>(["created", "approved", "printing", "post_processing", "packed"]);

/** The statuses an order in `from` may move to. */
export function nextStatuses(from: OrderStatus): OrderStatus[] {
  const i = ORDER_PATH.indexOf(from);
  const next: OrderStatus[] = [];
  if (i >= 0 && i + 1 < ORDER_PATH.length) next.push(ORDER_PATH[i + 1] as OrderStatus);
  if (CANCELLABLE.has(from)) next.push("cancelled");
  return next;
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return nextStatuses(from).includes(to);
}

/** The transitions that lead from `created` to `status` (for seeding orders with a plausible history). */
export function pathTo(
  status: OrderStatus,
  cancelAt: OrderStatus = "created",
): Array<[OrderStatus | null, OrderStatus]> {
  const steps: Array<[OrderStatus | null, OrderStatus]> = [[null, "created"]];
  const target = status === "cancelled" ? cancelAt : status;
  for (let i = 1; i <= ORDER_PATH.indexOf(target); i++) {
    steps.push([ORDER_PATH[i - 1] as OrderStatus, ORDER_PATH[i] as OrderStatus]);
  }
  if (status === "cancelled") steps.push([target, "cancelled"]);
  return steps;
}

/** Every status and where each may move: what a board needs to offer only the legal steps. */
export function lifecycle(): OrderLifecycle {
  return { statuses: [...ORDER_STATUSES], next: Object.fromEntries(ORDER_STATUSES.map((s) => [s, nextStatuses(s)])) };
}
