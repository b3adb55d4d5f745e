import { describe, expect, it } from "vitest";
import { applyStatusEvent, columnLoaded, emptyBoard, findCard } from "../app/lib/board-state.ts";
import type { StatusEvent } from "../app/lib/status-events.ts";
import type { OrderSummary } from "../app/lib/types.ts";

const order = (id: number, status: string): OrderSummary => ({
  id,
  customerId: 7,
  status,
  totalCents: 1000 + id,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
});

const change = (orderId: number, from: string | null, status: string, seq = 1): StatusEvent => ({
  orderId,
  customerId: 7,
  from,
  status,
  at: "2026-01-02T00:00:00.000Z",
  seq,
});

const cards = (state: ReturnType<typeof emptyBoard>, status: string) =>
  state.columns.find((c) => c.status === status)?.cards.map((c) => c.id);
const total = (state: ReturnType<typeof emptyBoard>, status: string) =>
  state.columns.find((c) => c.status === status)?.total;

function board() {
  let state = emptyBoard(["created", "approved", "cancelled"], 3);
  state = columnLoaded(state, "created", { items: [order(1, "created"), order(2, "created")], total: 10 });
  return columnLoaded(state, "approved", { items: [order(3, "approved")], total: 1 });
}

describe("board state", () => {
  it("shows a column's orders newest first, at most its limit", () => {
    const state = columnLoaded(emptyBoard(["created"], 2), "created", {
      items: [order(4, "created"), order(9, "created"), order(6, "created")],
      total: 30,
    });
    expect(cards(state, "created")).toEqual([9, 6]);
    expect(total(state, "created")).toBe(30);
  });

  it("moves a card to the top of its new column, keeping what it knew", () => {
    const state = applyStatusEvent(board(), change(2, "created", "approved"));
    expect(cards(state, "created")).toEqual([1]);
    expect(cards(state, "approved")).toEqual([2, 3]);
    expect([total(state, "created"), total(state, "approved")]).toEqual([9, 2]);
    expect(findCard(state, 2)?.card).toMatchObject({
      status: "approved",
      totalCents: 1002,
      updatedAt: "2026-01-02T00:00:00.000Z",
    });
  });

  it("adds a card it did not show (a new order) and counts it out of the column it left", () => {
    const state = applyStatusEvent(board(), change(99, "created", "cancelled"));
    expect(cards(state, "cancelled")).toEqual([99]);
    expect(total(state, "created")).toBe(9);
    expect(cards(state, "created")).toEqual([2, 1]);
    expect(findCard(state, 99)?.card.totalCents).toBeNaN();
  });

  it("ignores an event that repeats the card's status", () => {
    const before = board();
    expect(applyStatusEvent(before, change(3, "created", "approved"))).toBe(before);
  });

  it("keeps a column to its limit, dropping the oldest shown card but counting every order", () => {
    let state = board();
    for (const [i, id] of [11, 12, 13].entries()) state = applyStatusEvent(state, change(id, null, "approved", i));
    expect(cards(state, "approved")).toEqual([13, 12, 11]);
    expect(total(state, "approved")).toBe(4);
  });

  it("never counts a column below zero", () => {
    const state = applyStatusEvent(emptyBoard(["created", "approved"], 5), change(1, "created", "approved"));
    expect([total(state, "created"), total(state, "approved")]).toEqual([0, 1]);
  });
});
