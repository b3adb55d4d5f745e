import type { Static, TSchema } from "typebox";
import { Compile } from "typebox/compile";
import type { Channel } from "./cache-factory.ts";
import type { HttpApp } from "./http-app.ts";

/** An event with its place in one global order: what streams send as `id:` and dedupe by. */
export interface SequencedEvent {
  readonly seq: number;
}

export interface HubListener<E> {
  /** An event of the listener's topic; each seq at most once per hub (within its window). */
  event(e: E): void;
  /** The channel went down: events may be missed from now on. The listener is removed. */
  down(): void;
}

/** The last `capacity` seqs seen, so a recent event delivered twice (fast path and relay) passes once. */
export class RecentSeqs {
  readonly #seen = new Set<number>();

  constructor(private readonly capacity = 10_000) {}

  has(seq: number): boolean {
    return this.#seen.has(seq);
  }

  /** True the first time `seq` is added; the oldest seq is forgotten past the capacity. */
  add(seq: number): boolean {
    if (this.#seen.has(seq)) return false;
    this.#seen.add(seq);
    if (this.#seen.size > this.capacity) this.#seen.delete(this.#seen.values().next().value as number);
    return true;
  }
}

/**
 * One process's (one app's) membership of an event channel, fanned out in process: one subscription
 * however many streams are open, listeners by topic (or all), duplicates dropped by seq. When the channel
 * goes down every listener is told and removed: its stream ends, and its client replays from its last id.
 */
export class StreamHub<S extends TSchema> {
  readonly #byTopic = new Map<string, Set<HubListener<Static<S> & SequencedEvent>>>();
  readonly #everything = new Set<HubListener<Static<S> & SequencedEvent>>();
  readonly #recent = new RecentSeqs();
  readonly #check: ReturnType<typeof Compile<S>>;
  #up = false;
  #leave: (() => void) | undefined;

  constructor(
    private readonly channel: Channel,
    schema: S,
    private readonly topicOf: (e: Static<S> & SequencedEvent) => string,
  ) {
    this.#check = Compile(schema);
  }

  /** Joins the channel; resolves once joined, or once the join failed (it is retried by the connection). */
  async start(): Promise<void> {
    this.#leave = await this.channel.join(
      (text) => this.#deliver(text),
      (up) => this.#state(up),
    );
  }

  /** Whether the channel delivers now: a stream opened while it does not would miss events. */
  get up(): boolean {
    return this.#up;
  }

  /** Listens to `topic`, or to every event (`undefined`); the returned function stops listening. */
  subscribe(topic: string | undefined, listener: HubListener<Static<S> & SequencedEvent>): () => void {
    let set = this.#everything;
    if (topic !== undefined) {
      set = this.#byTopic.get(topic) ?? new Set();
      this.#byTopic.set(topic, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (topic !== undefined && set.size === 0 && this.#byTopic.get(topic) === set) this.#byTopic.delete(topic);
    };
  }

  /** Leaves the channel and tells every listener it is down. */
  close(): void {
    this.#leave?.();
    this.#leave = undefined;
    this.#state(false);
  }

  #deliver(text: string) {
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    if (!this.#check.Check(event)) return;
    const e = event as Static<S> & SequencedEvent;
    if (!Number.isSafeInteger(e.seq) || !this.#recent.add(e.seq)) return;
    for (const l of [...this.#everything]) l.event(e);
    const topic = this.#byTopic.get(this.topicOf(e));
    if (topic) for (const l of [...topic]) l.event(e);
  }

  #state(up: boolean) {
    this.#up = up;
    if (up) return;
    const all = [...this.#everything, ...[...this.#byTopic.values()].flatMap((s) => [...s])];
    this.#everything.clear();
    this.#byTopic.clear();
    for (const l of all) l.down();
  }
}

/** A hub that has joined its channel and leaves it when `app` closes: how a service opens one. */
export async function openStreamHub<S extends TSchema>(
  app: HttpApp,
  channel: Channel,
  schema: S,
  topicOf: (e: Static<S> & SequencedEvent) => string,
): Promise<StreamHub<S>> {
  const hub = new StreamHub(channel, schema, topicOf);
  await hub.start();
  app.addHook("onClose", async () => hub.close());
  return hub;
}
