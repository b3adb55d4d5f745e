import {
  ORDER_STATUS_CHANNEL,
  type Order,
  type OrderStatusEvent,
  OrderStatusEventSchema,
  orderStatusFrame,
  orderStatusTopic,
} from "@printfab/contracts";
import {
  type CacheFactory,
  type EventStreamOptions,
  EventStreams,
  type HttpApp,
  notFound,
  openReplayedStream,
  openStreamHub,
  type StreamHub,
} from "@printfab/platform";
import type { OrderReads } from "./order-reads.ts";

type StreamArgs = Parameters<typeof openReplayedStream>;

/** An order's history as the stream's events (entries cached by an older MES, without seq, are skipped). */
export function historyEvents(order: Order): OrderStatusEvent[] {
  return order.history.flatMap((h) =>
    h.seq === undefined
      ? []
      : [{ orderId: order.id, customerId: order.customerId, status: h.to, from: h.from, at: h.at, seq: h.seq }],
  );
}

/**
 * A customer's order status by push (`GET /orders/:id/events`): MES publishes each change on the channel,
 * this process fans it out to the order's open streams. The replay is the order read through the cache
 * (its history carries the seqs), after subscribing, so a change cannot slip between the two: without
 * `Last-Event-ID` it is the whole history, so a page that opens the stream is never behind.
 */
export class ShopOrderEvents {
  private constructor(
    private readonly hub: StreamHub<typeof OrderStatusEventSchema>,
    private readonly streams: EventStreams,
    private readonly reads: OrderReads,
  ) {}

  static async create(
    app: HttpApp,
    caches: CacheFactory,
    reads: OrderReads,
    options?: EventStreamOptions,
  ): Promise<ShopOrderEvents> {
    const hub = await openStreamHub(
      app,
      caches.channel(ORDER_STATUS_CHANNEL),
      OrderStatusEventSchema,
      orderStatusTopic,
    );
    return new ShopOrderEvents(hub, new EventStreams(app, options), reads);
  }

  /** The order's changes after `lastEventId` (all of them without), then live; another's order is a 404. */
  stream(
    request: StreamArgs[0],
    reply: StreamArgs[1],
    customerId: number,
    orderId: number,
    lastEventId: number | undefined,
  ): Promise<void> {
    return openReplayedStream(request, reply, {
      streams: this.streams,
      hub: this.hub,
      topic: String(orderId),
      ordered: true,
      after: lastEventId,
      format: orderStatusFrame,
      replay: async () => {
        const order = (await this.reads.customerOrder(customerId, orderId)).value;
        if (!order) throw notFound(`order ${orderId}`);
        return { events: historyEvents(order) };
      },
    });
  }
}
