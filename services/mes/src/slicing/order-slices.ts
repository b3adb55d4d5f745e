import type { Logger } from "@printfab/platform";

/**
 * Placed orders waiting to have their items sliced: one order at a time (its items one after another), at
 * most `maxWaiting` waiting; an order beyond that is dropped with a warning (orders never wait for slicing,
 * and a burst must not queue unbounded downloads and hashing). Slicing an order is `sliceOrder`'s, which
 * never throws; the queue only orders and bounds the work.
 */
export class OrderSliceQueue<T> {
  readonly #waiting: T[] = [];
  #draining: Promise<void> | undefined;
  /** Orders dropped because the queue was full. */
  dropped = 0;

  constructor(
    private readonly sliceOrder: (order: T) => Promise<unknown>,
    private readonly logger: Logger,
    private readonly maxWaiting = 100,
  ) {}

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Queues an order's items; false (and a warning) when the queue is full. */
  add(order: T): boolean {
    if (this.#waiting.length >= this.maxWaiting) {
      this.dropped++;
      this.logger.warn({ waiting: this.#waiting.length }, "order slicing queue full: the order's items are not sliced");
      return false;
    }
    this.#waiting.push(order);
    this.#draining ??= this.#drain();
    return true;
  }

  /** Resolves when every queued order has been handled (tests; shutdown after `clear`). */
  async idle(): Promise<void> {
    await this.#draining;
  }

  /** Forgets the waiting orders (the service is stopping); the one being sliced finishes or is cancelled. */
  clear(): void {
    this.#waiting.length = 0;
  }

  async #drain(): Promise<void> {
    for (let order = this.#waiting.shift(); order !== undefined; order = this.#waiting.shift()) {
      await this.sliceOrder(order).catch((err: Error) => {
        this.logger.warn({ err: err.message }, "order not sliced");
      });
    }
    this.#draining = undefined;
  }
}
