import type { StatusEvent } from "./status-events.ts";
import type { StatusChange } from "./types.ts";

/** An order's status timeline: what its history said, then what its event stream added. */

export interface TimelineEntry {
  status: string;
  at: string;
}

/** The history read with the order, in order of time. */
export function timelineFromHistory(history: readonly StatusChange[]): TimelineEntry[] {
  return [...history].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).map((h) => ({ status: h.to, at: h.at }));
}

/**
 * The timeline with a live event added. The stream opens before the order is read, so its first events
 * may repeat changes the history already holds. An order never returns to a status it left (the lifecycle
 * only moves forward, or to `cancelled` once), so an event for a status already shown is a repeat.
 */
export function addEvent(
  timeline: readonly TimelineEntry[],
  event: Pick<StatusEvent, "status" | "at">,
): TimelineEntry[] {
  if (timeline.some((e) => e.status === event.status)) return [...timeline];
  return [...timeline, { status: event.status, at: event.at }].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** The current status: the latest entry's. */
export function currentStatus(timeline: readonly TimelineEntry[]): string | null {
  return timeline.at(-1)?.status ?? null;
}
