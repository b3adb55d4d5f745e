import { describe, expect, it } from "vitest";
import { parseStatusEvent, SeqFilter } from "../app/lib/status-events.ts";

const event = {
  orderId: 1,
  customerId: 2,
  status: "approved",
  from: "created",
  at: "2026-01-01T00:00:00.000Z",
  seq: 123,
};

describe("parseStatusEvent", () => {
  it("reads the data line of a status event", () => {
    expect(parseStatusEvent(JSON.stringify(event))).toEqual(event);
    expect(parseStatusEvent(JSON.stringify({ ...event, from: null }))?.from).toBeNull();
  });

  it("refuses what is not one: bad JSON, missing or mistyped fields", () => {
    for (const data of [
      "",
      "not json",
      "null",
      "[1]",
      JSON.stringify({ ...event, seq: "123" }),
      JSON.stringify({ ...event, orderId: 1.5 }),
      JSON.stringify({ ...event, status: 3 }),
      JSON.stringify({ ...event, from: 7 }),
      JSON.stringify({ ...event, at: undefined }),
    ]) {
      expect(parseStatusEvent(data), data).toBeNull();
    }
  });
});

describe("SeqFilter", () => {
  it("lets each order's events through once, in increasing seq, dropping replays after a reconnection", () => {
    const filter = new SeqFilter();
    const seen = [5, 6, 6, 4, 7, 5, 9].filter((seq) => filter.accept({ orderId: 1, seq }));
    expect(seen).toEqual([5, 6, 7, 9]);
    expect(filter.last(1)).toBe(9);
  });

  it("takes a lower seq of another order: orders' changes may be pushed out of seq order", () => {
    const filter = new SeqFilter();
    expect(filter.accept({ orderId: 2, seq: 11 })).toBe(true);
    expect(filter.accept({ orderId: 1, seq: 10 })).toBe(true);
    expect(filter.accept({ orderId: 1, seq: 10 })).toBe(false);
  });

  it("starts after the seqs a page already knows", () => {
    const filter = new SeqFilter([[1, 10]]);
    expect(filter.accept({ orderId: 1, seq: 10 })).toBe(false);
    expect(filter.accept({ orderId: 1, seq: 11 })).toBe(true);
    expect(filter.accept({ orderId: 2, seq: 3 })).toBe(true);
  });
});
