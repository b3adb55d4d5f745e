import type { FastifyReply, FastifyRequest } from "fastify";
import { type EventStream, type EventStreams, type StreamEvent, streamOwner } from "./event-stream.ts";
import type { HubListener, SequencedEvent } from "./event-stream-hub.ts";

/** How long a client waits to reconnect while the channel is down (plus up to as much again, at random). */
export const DOWN_RETRY_MS = 15_000;

/** What a client missed, read after the stream subscribed (so nothing slips between the two). */
export interface Replay<E extends SequencedEvent> {
  /** The missed events, oldest first. */
  events: E[];
  /**
   * The newest seq when no event is replayed (a first connection): sent as a bare `id:`, so that a
   * reconnection resumes from here even if no event came in between.
   */
  head?: number;
  /** Too many were missed to replay: `event: reset` (with `id: head`) tells the client to reload. */
  reset?: boolean;
}

export interface ReplayedStreamOptions<E extends SequencedEvent> {
  streams: EventStreams;
  hub: { readonly up: boolean; subscribe(topic: string | undefined, listener: HubListener<E>): () => void };
  /** The hub's topic to follow; every event when absent. */
  topic?: string;
  /** Reads the replay; a rejection is the request's error (a 404, a 503), with nothing sent yet. */
  replay(): Promise<Replay<E>>;
  /** The event's `event:` and `data:` (its `id:` is its seq). */
  format(e: E): Omit<StreamEvent, "id">;
  /**
   * The topic's seqs only increase (one order's changes): anything at or below the last seq sent is a
   * duplicate. Otherwise (every order's) only the replayed seqs are.
   */
  ordered: boolean;
  /** The client's `Last-Event-ID`: for an ordered topic, nothing at or below it is sent again. */
  after?: number;
  /** Events that may arrive while the replay is read; past this the stream ends after its replay. */
  maxPending?: number;
}

/**
 * Opens an event stream that replays what its client missed and then follows the hub: it subscribes
 * first, reads the replay, sends it, then what arrived meanwhile minus duplicates, then live events.
 * While the hub is down (or goes down) the stream sends its replay and ends: the client reconnects with
 * its last id, and the replay covers what the channel lost.
 */
export async function openReplayedStream<E extends SequencedEvent>(
  request: FastifyRequest,
  reply: FastifyReply,
  o: ReplayedStreamOptions<E>,
): Promise<void> {
  const slot = o.streams.reserve(streamOwner(request));
  const maxPending = o.maxPending ?? 10_000;
  const pending: E[] = [];
  let stream: EventStream | undefined;
  let down = !o.hub.up;
  let lastSent = o.after ?? 0;
  const replayed = new Set<number>();
  const send = (e: E) => {
    if (o.ordered ? e.seq <= lastSent : replayed.has(e.seq)) return;
    lastSent = Math.max(lastSent, e.seq);
    stream?.send({ id: e.seq, ...o.format(e) });
  };
  // The channel went down: the client comes back for the replay later, not every `retry` while Redis is
  // out (each visit costs a read), and not all at once when it returns.
  const comeBackLater = () => stream?.write(`retry: ${DOWN_RETRY_MS + Math.floor(Math.random() * DOWN_RETRY_MS)}\n\n`);
  const stop = o.hub.subscribe(o.topic, {
    event: (e) => {
      if (stream) send(e);
      else if (pending.length < maxPending) pending.push(e);
      else down = true;
    },
    down: () => {
      down = true;
      comeBackLater();
      stream?.end();
    },
  });
  let replay: Replay<E>;
  try {
    replay = await o.replay();
  } catch (err) {
    stop();
    slot.release();
    throw err;
  }
  stream = slot.open(reply);
  stream.onClose(stop);

  for (const e of replay.events) {
    send(e);
    replayed.add(e.seq);
  }
  if (replay.reset) stream.send({ id: replay.head, event: "reset", data: JSON.stringify({ seq: replay.head }) });
  else if (replay.events.length === 0 && replay.head) stream.send({ id: replay.head });
  for (const e of pending.splice(0)) send(e);
  if (down) {
    comeBackLater();
    stream.end();
  }
}
