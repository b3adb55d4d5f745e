import {
  ORDER_STATUS_CHANNEL,
  type OrderChanged,
  type OrderStatusEvent,
  OrderStatusEventSchema,
  orderStatusFrame,
  orderStatusTopic,
  statusEventOf,
} from "@printfab/contracts";
import {
  type CacheFactory,
  type EventStreamOptions,
  EventStreams,
  type HttpApp,
  openReplayedStream,
  openStreamHub,
  RecentSeqs,
  type Replay,
  type StreamHub,
} from "@printfab/platform";
import type { OrderStore } from "./order-store.ts";

type StreamArgs = Parameters<typeof openReplayedStream>;

/** The most status changes one connection replays; a client that missed more is told to reload. */
export const REPLAY_LIMIT = 1000;

/**
 * A resumed stream replays this many changes before its `Last-Event-ID` too. Seqs commit in order, but
 * two orders' changes may be pushed in the other order: a client that got the later one and lost its
 * connection before the earlier arrived gets it now (and drops, by seq per order, what it already has).
 */
export const REPLAY_LOOKBACK = 64;

/**
 * Status changes by push: MES publishes each delivered `order.changed` on the channel (once per seq, though
 * the fast path and the relay may both deliver a row), and every Shop and MES process fans it out to its
 * open streams. Operators and managers follow every order (`GET /orders/events`), replaying from
 * PostgreSQL what they missed: one bounded query per connection, none per event.
 */
export class OrderEvents {
  readonly #published = new RecentSeqs();

  private constructor(
    private readonly caches: CacheFactory,
    private readonly hub: StreamHub<typeof OrderStatusEventSchema>,
    private readonly streams: EventStreams,
    private readonly store: OrderStore,
  ) {}

  static async create(
    app: HttpApp,
    caches: CacheFactory,
    store: OrderStore,
    options?: EventStreamOptions,
  ): Promise<OrderEvents> {
    const hub = await openStreamHub(
      app,
      caches.channel(ORDER_STATUS_CHANNEL),
      OrderStatusEventSchema,
      orderStatusTopic,
    );
    return new OrderEvents(caches, hub, new EventStreams(app, options), store);
  }

  /**
   * Pushes a delivered `order.changed` (after its invalidation, so a client that reads the order on the
   * push sees the change). A failure rejects, and the outbox delivers the row again.
   */
  async publish(changed: OrderChanged): Promise<void> {
    const event = statusEventOf(changed);
    if (!event || this.#published.has(event.seq)) return;
    await this.caches.channel(ORDER_STATUS_CHANNEL).publish(JSON.stringify(event));
    this.#published.add(event.seq);
  }

  /** Every order's status changes, after `Last-Event-ID` if given (the replay), then live. */
  stream(request: StreamArgs[0], reply: StreamArgs[1], lastEventId: number | undefined): Promise<void> {
    return openReplayedStream(request, reply, {
      streams: this.streams,
      hub: this.hub,
      ordered: false,
      format: orderStatusFrame,
      replay: () => this.#replay(lastEventId),
    });
  }

  async #replay(after: number | undefined): Promise<Replay<OrderStatusEvent>> {
    if (after === undefined) return { events: [], head: await this.store.headSeq() };
    const from = Math.max(0, after - REPLAY_LOOKBACK);
    const { changes, head } = await this.store.changesSince(from, REPLAY_LIMIT + (after - from) + 1);
    if (changes.filter((c) => c.seq > after).length > REPLAY_LIMIT) return { events: [], head, reset: true };
    return { events: changes };
  }
}
