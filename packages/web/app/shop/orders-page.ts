import { formatPrice, formatTime, statusLabel } from "../lib/format.ts";
import type { OrderSummary, Page } from "../lib/types.ts";
import { api, messageOf } from "../ui/api.ts";
import { fill, h } from "../ui/dom.ts";
import { statusLine } from "../ui/live-region.ts";
import { isCustomer, type PageContext } from "./context.ts";

const PAGE_SIZE = 20;

/** The signed-in customer's orders, newest first. */
export function renderOrders({ view, session, signal }: PageContext): void {
  const status = statusLine("orders-status");
  const list = h("ul", { class: "order-list", "data-testid": "order-list" });
  const more = h("button", { type: "button", hidden: true, "data-testid": "orders-more" }, "Show more");
  fill(view, h("h1", {}, "My orders"), status.el, list, more);
  if (!isCustomer(session)) {
    status.say("Sign in as a customer to see your orders.");
    return;
  }

  let offset = 0;
  const load = async () => {
    status.say("Loading…");
    try {
      const page = await api<Page<OrderSummary>>(`/orders?limit=${PAGE_SIZE}&offset=${offset}`, { signal });
      list.append(...page.items.map(row));
      offset += page.items.length;
      more.hidden = offset >= page.total;
      status.say(page.total === 0 ? "No orders yet." : `${page.total} orders`);
    } catch (err) {
      if ((err as Error).name !== "AbortError") status.say(messageOf(err), "error");
    }
  };
  more.addEventListener("click", () => void load());
  void load();
}

function row(o: OrderSummary) {
  return h(
    "li",
    { "data-testid": `order-row-${o.id}` },
    h("a", { href: `#/order/${o.id}` }, `Order ${o.id}`),
    h("span", { class: `badge status-${o.status}` }, statusLabel(o.status)),
    h("span", {}, formatPrice(o.totalCents)),
    h("time", { datetime: o.createdAt }, formatTime(o.createdAt)),
  );
}
