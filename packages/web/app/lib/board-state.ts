import type { StatusEvent } from "./status-events.ts";
import type { OrderSummary } from "./types.ts";

/** The production board's data: a column per status, newest change first. Pure; the view renders it. */

export interface Column {
  status: string;
  cards: OrderSummary[];
  /** Orders in this status on the server (the column shows at most `limit`). */
  total: number;
}

export interface BoardState {
  columns: Column[];
  limit: number;
}

export function emptyBoard(statuses: readonly string[], limit: number): BoardState {
  return { columns: statuses.map((status) => ({ status, cards: [], total: 0 })), limit };
}

/** A column's orders as read from `GET /orders?status=`, shown newest first. */
export function columnLoaded(
  state: BoardState,
  status: string,
  page: { items: OrderSummary[]; total: number },
): BoardState {
  const cards = [...page.items].sort((a, b) => b.id - a.id).slice(0, state.limit);
  return withColumn(state, status, () => ({ status, cards, total: page.total }));
}

/**
 * An order changed status: its card leaves whatever column shows it and goes on top of the new one.
 * A card the board did not show (an older order, a new one) is made from the event.
 */
export function applyStatusEvent(state: BoardState, event: StatusEvent): BoardState {
  const found = findCard(state, event.orderId);
  if (found?.card.status === event.status) return state;
  const base: OrderSummary = found?.card ?? {
    id: event.orderId,
    customerId: event.customerId,
    status: event.status,
    totalCents: Number.NaN,
    createdAt: event.at,
    updatedAt: event.at,
  };
  const moved = { ...base, status: event.status, updatedAt: event.at };
  const leaving = found?.column ?? event.from;
  const columns = state.columns.map((col): Column => {
    let { cards, total } = col;
    if (col.status === leaving) {
      cards = cards.filter((c) => c.id !== event.orderId);
      total = Math.max(0, total - 1);
    }
    if (col.status === event.status) {
      cards = [moved, ...cards.filter((c) => c.id !== event.orderId)].slice(0, state.limit);
      total += 1;
    }
    return cards === col.cards && total === col.total ? col : { ...col, cards, total };
  });
  return { ...state, columns };
}

export function findCard(state: BoardState, orderId: number): { column: string; card: OrderSummary } | null {
  for (const col of state.columns) {
    const card = col.cards.find((c) => c.id === orderId);
    if (card) return { column: col.status, card };
  }
  return null;
}

function withColumn(state: BoardState, status: string, update: (col: Column) => Column): BoardState {
  return { ...state, columns: state.columns.map((col) => (col.status === status ? update(col) : col)) };
}
