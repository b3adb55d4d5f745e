import { formatPrice, formatTime, statusLabel } from "../lib/format.ts";
import type { StatusEvent } from "../lib/status-events.ts";
import { addEvent, currentStatus, type TimelineEntry, timelineFromHistory } from "../lib/timeline.ts";
import type { Order } from "../lib/types.ts";
import { api, messageOf } from "../ui/api.ts";
import { fill, h } from "../ui/dom.ts";
import { statusLine } from "../ui/live-region.ts";
import { followStatusEvents, STREAM_STATE_TEXT } from "../ui/live-stream.ts";
import { isCustomer, type PageContext } from "./context.ts";

/** One of the customer's orders, its status following the order's event stream as it changes. */
export async function renderOrder({ view, session, signal }: PageContext, id: number): Promise<void> {
  const status = statusLine("order-page-status");
  fill(view, h("p", {}, h("a", { href: "#/orders" }, "← My orders")), status.el);
  if (!isCustomer(session)) return status.say("Sign in as a customer to see your orders.");

  // The stream opens first so no change falls between reading the order and listening: what arrives
  // before the order is read waits, and repeats of its history are dropped.
  let onEvent = (event: StatusEvent) => void early.push(event);
  const early: StatusEvent[] = [];
  const live = h("span", { class: "live", "data-testid": "order-live" }, STREAM_STATE_TEXT.connecting);
  const stream = followStatusEvents(
    `/orders/${id}/events`,
    (event) => {
      if (event.orderId === id) onEvent(event);
    },
    (state) => {
      live.textContent = STREAM_STATE_TEXT[state];
      live.dataset.state = state;
    },
  );
  signal.addEventListener("abort", () => stream.close(), { once: true });

  let order: Order;
  try {
    order = await api<Order>(`/orders/${id}`, { signal });
  } catch (err) {
    stream.close();
    if ((err as Error).name !== "AbortError") status.say(messageOf(err), "error");
    return;
  }

  let timeline = timelineFromHistory(order.history);
  const statusText = h("strong", { "data-testid": "order-status" }, statusLabel(order.status));
  const list = h("ol", { class: "timeline", "data-testid": "order-timeline" });
  const draw = () => {
    const now = currentStatus(timeline) ?? order.status;
    statusText.textContent = statusLabel(now);
    statusText.className = `badge status-${now}`;
    fill(list, timeline.map(entry));
  };

  fill(
    view,
    h("p", {}, h("a", { href: "#/orders" }, "← My orders")),
    h("h1", {}, `Order ${order.id}`),
    h("p", { "aria-live": "polite" }, "Status: ", statusText, " ", live),
    h("h2", {}, "Timeline"),
    list,
    h("h2", {}, "Items"),
    h(
      "ul",
      { class: "items" },
      order.items.map((i) => h("li", {}, `${i.quantity} × ${i.productName} at ${formatPrice(i.unitPriceCents)}`)),
    ),
    h("p", { class: "price" }, `Total ${formatPrice(order.totalCents)}`),
    status.el,
  );
  onEvent = (event) => {
    timeline = addEvent(timeline, event);
    draw();
  };
  for (const event of early) timeline = addEvent(timeline, event);
  draw();
}

function entry(e: TimelineEntry, i: number, all: TimelineEntry[]) {
  return h(
    "li",
    { "data-status": e.status, ...(i === all.length - 1 ? { "aria-current": "step" } : {}) },
    h("span", { class: "step" }, statusLabel(e.status)),
    h("time", { datetime: e.at }, formatTime(e.at)),
  );
}
