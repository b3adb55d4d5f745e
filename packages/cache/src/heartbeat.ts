export interface HeartbeatOptions {
  /** A beat is published this often (ms). */
  intervalMs: number;
  /** The bus is confirmed while a beat sent at most this long ago (ms) has come back. */
  deadlineMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatOptions = { intervalMs: 250, deadlineMs: 1000 };

export interface HeartbeatHooks {
  /** Publishes beat `seq` on the process's own channel; a rejection is a beat that never left. */
  send(seq: number): Promise<void>;
  /** The bus's state changed: confirmed (true) or silent (false). */
  onChange(confirmed: boolean): void;
  /** Beats leave but none come back: the subscriber is silent, make a new one. */
  resetSubscriber(): void;
  /** Monotonic time in ms; `performance.now` by default. */
  clock?: () => number;
}

/**
 * Proves the bus alive: a process publishes a beat on its own channel and must get it back within the
 * deadline. Redis delivers a subscriber's messages in the order it ran the PUBLISHes, so a beat sent at S
 * that came back means every eviction published before S has come back too. A connection gone half-open
 * (no FIN, so no error) stops returning beats; the bus is then silent within `deadlineMs` of the last
 * beat that did come back, and L1, which may be missing evictions from then on, is not served.
 */
export class BusHeartbeat {
  readonly #opts: HeartbeatOptions;
  readonly #hooks: HeartbeatHooks;
  readonly #clock: () => number;
  /** Send times of the beats still awaited. */
  readonly #sentAt = new Map<number, number>();
  #seq = 0;
  /** When the newest beat that came back was sent. */
  #confirmedSentAt = Number.NEGATIVE_INFINITY;
  /** When a beat last left without error: beats that leave but do not return mean a silent subscriber. */
  #lastSentOk = Number.NEGATIVE_INFINITY;
  #lastReset = Number.NEGATIVE_INFINITY;
  #joined = false;
  #reported = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: HeartbeatOptions, hooks: HeartbeatHooks) {
    if (opts.intervalMs <= 0 || opts.deadlineMs <= opts.intervalMs) {
      throw new Error("heartbeat: intervalMs must be positive and below deadlineMs");
    }
    this.#opts = opts;
    this.#hooks = hooks;
    this.#clock = hooks.clock ?? (() => performance.now());
  }

  /** Whether the bus delivers: subscribed, and a beat sent within the deadline came back. */
  get confirmed(): boolean {
    return this.#joined && this.#clock() - this.#confirmedSentAt <= this.#opts.deadlineMs;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.beat(), this.#opts.intervalMs);
    this.#timer.unref();
    this.beat();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Sends the next beat and judges the bus; the timer calls it every `intervalMs`. */
  beat(): void {
    const seq = ++this.#seq;
    const at = this.#clock();
    this.#sentAt.set(seq, at);
    for (const [s, t] of this.#sentAt) if (at - t > this.#opts.deadlineMs) this.#sentAt.delete(s);
    this.#hooks.send(seq).then(
      () => {
        this.#lastSentOk = Math.max(this.#lastSentOk, at);
      },
      () => undefined,
    );
    this.check();
  }

  /** A beat came back. */
  received(seq: number): void {
    const at = this.#sentAt.get(seq);
    if (at === undefined) return;
    this.#confirmedSentAt = Math.max(this.#confirmedSentAt, at);
    for (const s of this.#sentAt.keys()) if (s <= seq) this.#sentAt.delete(s);
    this.check();
  }

  /** The subscription to the beat channel was lost (false) or made again (true). */
  joined(up: boolean): void {
    this.#joined = up;
    this.check();
  }

  /** Reports a change of state, and asks for a new subscriber when beats leave but do not come back. */
  check(): void {
    const confirmed = this.confirmed;
    if (confirmed !== this.#reported) {
      this.#reported = confirmed;
      this.#hooks.onChange(confirmed);
    }
    if (confirmed) return;
    const now = this.#clock();
    const leftButLost = this.#lastSentOk > this.#confirmedSentAt && now - this.#lastSentOk <= this.#opts.deadlineMs;
    const silentFor = now - Math.max(this.#confirmedSentAt, this.#lastReset);
    if (this.#joined && leftButLost && silentFor > this.#opts.deadlineMs) {
      this.#lastReset = now;
      this.#hooks.resetSubscriber();
    }
  }
}
