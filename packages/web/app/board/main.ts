import "../styles/base.css";
import "../styles/board.css";
import { ApiError } from "../lib/api-error.ts";
import { applyStatusEvent, type BoardState, columnLoaded, emptyBoard } from "../lib/board-state.ts";
import type { Lifecycle, OrderSummary, Page, Session } from "../lib/types.ts";
import { api, messageOf } from "../ui/api.ts";
import { byId, fill, h } from "../ui/dom.ts";
import { statusLine } from "../ui/live-region.ts";
import { followStatusEvents, type LiveStream, STREAM_STATE_TEXT } from "../ui/live-stream.ts";
import { startPage } from "../ui/page-shell.ts";
import { renderBoard } from "./board-view.ts";

/** The production board (MES /board): a column per status, live from the order event stream. */

const COLUMN_LIMIT = 50;
const view = byId("view");
const message = statusLine("board-message", "status toast");
const connection = h("span", { class: "live", "data-testid": "board-connection" }, STREAM_STATE_TEXT.closed);
const columns = h("div", { class: "board", "data-testid": "board" });
let stream: LiveStream | null = null;
let state: BoardState | null = null;
let lifecycle: Lifecycle | null = null;

fill(
  view,
  h(
    "div",
    { class: "board-bar" },
    h("h1", {}, "Production board"),
    h("p", { "aria-live": "polite" }, "Updates: ", connection),
  ),
  message.el,
  columns,
);

let canMove = false;
const draw = () => {
  if (state && lifecycle) renderBoard(columns, state, lifecycle, canMove ? move : null);
};

async function move(order: OrderSummary, to: string): Promise<void> {
  try {
    await api(`/orders/${order.id}/status`, { method: "POST", body: { status: to } });
    message.say(`Order ${order.id} moved to ${to}.`, "ok");
  } catch (err) {
    // A 409 (someone else moved it first, or the step is no longer legal) is news, not a failure of the page.
    message.say(`Order ${order.id}: ${messageOf(err)}`, "error");
    if (err instanceof ApiError && err.status === 409) await resync(order.id);
  }
}

/** Puts a card whose status the board had wrong (its event not arrived, or missed) where it belongs. */
async function resync(orderId: number): Promise<void> {
  const now = await api<OrderSummary>(`/orders/${orderId}`).catch(() => null);
  if (!now || !state) return;
  const change = { orderId, customerId: now.customerId, status: now.status, from: null, at: now.updatedAt, seq: 0 };
  state = applyStatusEvent(state, change);
  draw();
}

/** A column's newest orders (MES pages its queue oldest first unless asked): the ones a board is watched for. */
const newestOrders = (status: string) =>
  api<Page<OrderSummary>>(`/orders?status=${encodeURIComponent(status)}&limit=${COLUMN_LIMIT}&sort=newest`);

async function open(session: Session | null): Promise<void> {
  stream?.close();
  stream = null;
  if (session?.role !== "operator" && session?.role !== "manager") {
    fill(columns);
    connection.textContent = STREAM_STATE_TEXT.closed;
    return message.say("Sign in as an operator (or a manager, to watch) to see the board.");
  }
  canMove = session.role === "operator";
  message.say("Loading…");
  try {
    lifecycle = await api<Lifecycle>("/orders/lifecycle");
    state = emptyBoard(lifecycle.statuses, COLUMN_LIMIT);
    // Listen before reading, so no change falls in between; an event for a card read later is a no-op.
    const early: Parameters<typeof applyStatusEvent>[1][] = [];
    let loaded = false;
    stream = followStatusEvents(
      "/orders/events",
      (event) => {
        if (!loaded) return void early.push(event);
        if (state) state = applyStatusEvent(state, event);
        draw();
      },
      (s) => {
        connection.textContent = STREAM_STATE_TEXT[s];
        connection.dataset.state = s;
      },
    );
    const pages = await Promise.all(lifecycle.statuses.map(newestOrders));
    for (const [i, s] of lifecycle.statuses.entries()) state = columnLoaded(state, s, pages[i] as Page<OrderSummary>);
    for (const event of early) state = applyStatusEvent(state, event);
    loaded = true;
    message.say("");
    draw();
  } catch (err) {
    message.say(messageOf(err), "error");
  }
}

startPage((session) => void open(session));
