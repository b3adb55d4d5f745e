import type { BoardState } from "../lib/board-state.ts";
import { formatPrice, formatTime, statusLabel } from "../lib/format.ts";
import type { Lifecycle, OrderSummary } from "../lib/types.ts";
import { fill, h } from "../ui/dom.ts";

/**
 * Draws the board's columns and cards; a card's buttons are the legal next steps of its status (none for
 * a manager, who watches: moving orders is an operator's).
 */
export function renderBoard(
  root: HTMLElement,
  state: BoardState,
  lifecycle: Lifecycle,
  move: ((order: OrderSummary, to: string) => Promise<void>) | null,
): void {
  fill(
    root,
    state.columns.map((col) =>
      h(
        "section",
        { class: "column", "data-testid": `column-${col.status}`, "aria-labelledby": `heading-${col.status}` },
        h(
          "h2",
          { id: `heading-${col.status}` },
          statusLabel(col.status),
          " ",
          h("span", { class: "count", "data-testid": `count-${col.status}` }, String(col.total)),
        ),
        h(
          "ol",
          { class: "cards" },
          col.cards.map((o) => card(o, move ? (lifecycle.next[o.status] ?? []) : [], move)),
        ),
        col.total > col.cards.length ? h("p", { class: "note" }, `and ${col.total - col.cards.length} more`) : null,
      ),
    ),
  );
}

function card(order: OrderSummary, next: string[], move: ((order: OrderSummary, to: string) => Promise<void>) | null) {
  const buttons = next.map((to) =>
    h(
      "button",
      {
        type: "button",
        class: to === "cancelled" ? "danger" : "",
        "data-testid": `to-${to}`,
        "aria-label": `Move order ${order.id} to ${statusLabel(to)}`,
        onclick: (event: Event) => {
          for (const b of buttons) b.disabled = true;
          void move?.(order, to).finally(() => {
            // The card is redrawn when its event arrives; until then (or after a refusal) it can be tried again.
            if ((event.target as HTMLElement).isConnected) for (const b of buttons) b.disabled = false;
          });
        },
      },
      to === "cancelled" ? "Cancel" : `→ ${statusLabel(to)}`,
    ),
  );
  return h(
    "li",
    { class: "card", "data-testid": `order-card-${order.id}` },
    h("p", { class: "card-title" }, `Order ${order.id}`, h("span", { class: "meta" }, ` customer ${order.customerId}`)),
    h(
      "p",
      { class: "meta" },
      Number.isFinite(order.totalCents) ? formatPrice(order.totalCents) : "",
      " · ",
      h("time", { datetime: order.updatedAt }, formatTime(order.updatedAt)),
    ),
    buttons.length ? h("div", { class: "actions" }, buttons) : null,
  );
}
