import { describe, expect, it } from "vitest";
import { addEvent, currentStatus, timelineFromHistory } from "../app/lib/timeline.ts";

const history = [
  { from: "created", to: "approved", by: "operator-1", at: "2026-01-01T10:05:00.000Z" },
  { from: null, to: "created", by: "shop", at: "2026-01-01T10:00:00.000Z" },
];

describe("timeline", () => {
  it("orders the history by time", () => {
    const t = timelineFromHistory(history);
    expect(t.map((e) => e.status)).toEqual(["created", "approved"]);
    expect(currentStatus(t)).toBe("approved");
  });

  it("adds a live event and does not repeat a status the history already holds", () => {
    let t = timelineFromHistory(history);
    t = addEvent(t, { status: "approved", at: "2026-01-01T10:05:00.000001Z" });
    t = addEvent(t, { status: "printing", at: "2026-01-01T11:00:00.000Z" });
    expect(t.map((e) => e.status)).toEqual(["created", "approved", "printing"]);
    expect(currentStatus(t)).toBe("printing");
  });

  it("places an event that arrived early in time order", () => {
    const t = addEvent([{ status: "printing", at: "2026-01-01T11:00:00.000Z" }], {
      status: "approved",
      at: "2026-01-01T10:05:00.000Z",
    });
    expect(currentStatus(t)).toBe("printing");
    expect(currentStatus([])).toBeNull();
  });
});
