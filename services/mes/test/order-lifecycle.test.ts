import { ORDER_STATUSES } from "@printfab/contracts";
import { describe, expect, it } from "vitest";
import { canTransition, nextStatuses, ORDER_PATH, pathTo } from "../src/order-lifecycle.ts";

describe("order lifecycle", () => {
  it("moves forward one step at a time along the path", () => {
    for (let i = 0; i + 1 < ORDER_PATH.length; i++) {
      expect(canTransition(ORDER_PATH[i] as never, ORDER_PATH[i + 1] as never)).toBe(true);
    }
    expect(canTransition("created", "printing")).toBe(false);
    expect(canTransition("printing", "approved")).toBe(false);
    expect(canTransition("created", "created")).toBe(false);
  });

  it("cancels from any state before shipped, and never after", () => {
    for (const s of ["created", "approved", "printing", "post_processing", "packed"] as const) {
      expect(canTransition(s, "cancelled")).toBe(true);
    }
    for (const s of ["shipped", "delivered", "cancelled"] as const) expect(canTransition(s, "cancelled")).toBe(false);
  });

  it("has no way out of delivered or cancelled", () => {
    expect(nextStatuses("delivered")).toEqual([]);
    expect(nextStatuses("cancelled")).toEqual([]);
    expect(nextStatuses("packed")).toEqual(["shipped", "cancelled"]);
  });

  it("lists the legal steps that lead to every status", () => {
    for (const status of ORDER_STATUSES) {
      const steps = pathTo(status, "approved");
      expect(steps[0]).toEqual([null, "created"]);
      expect(steps.at(-1)?.[1]).toBe(status);
      for (const [from, to] of steps.slice(1)) expect(canTransition(from as never, to)).toBe(true);
    }
  });
});
