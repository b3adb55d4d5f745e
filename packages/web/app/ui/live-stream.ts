import { parseStatusEvent, SeqFilter, type StatusEvent } from "../lib/status-events.ts";

export type StreamState = "connecting" | "open" | "reconnecting" | "closed";

export interface LiveStream {
  close(): void;
}

/**
 * Follows an event stream of order status changes. The browser's EventSource reconnects by itself and
 * sends `Last-Event-ID`, so the server replays what was missed; replays and overlaps are dropped by `seq`.
 * A stream the server refuses (closed without reconnecting) is reported as `closed`.
 */
export function followStatusEvents(
  url: string,
  onEvent: (event: StatusEvent) => void,
  onState: (state: StreamState) => void,
): LiveStream {
  const filter = new SeqFilter();
  const source = new EventSource(url, { withCredentials: true });
  onState("connecting");
  source.addEventListener("open", () => onState("open"));
  source.addEventListener("error", () => onState(source.readyState === EventSource.CLOSED ? "closed" : "reconnecting"));
  source.addEventListener("status", (message) => {
    const event = parseStatusEvent((message as MessageEvent<string>).data);
    if (event && filter.accept(event)) onEvent(event);
  });
  return { close: () => source.close() };
}

export const STREAM_STATE_TEXT: Record<StreamState, string> = {
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Connection lost: reconnecting…",
  closed: "Not connected (sign in and reload)",
};
