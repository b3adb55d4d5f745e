import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { type BreakerState, CircuitBreaker } from "./circuit-breaker.ts";
import { BypassedError, CacheUnavailableError } from "./errors.ts";
import { BusHeartbeat, DEFAULT_HEARTBEAT, type HeartbeatOptions } from "./heartbeat.ts";
import { InvalidationJournal, type InvalidationUnit } from "./journal.ts";
import type { L2Connection, L2Driver } from "./l2-driver.ts";

export interface RemoteTierOptions {
  /** Consecutive failures that open the breaker, and how long it stays open for request traffic. */
  breaker?: { failureThreshold: number; openMs: number };
  /** Beats of the bus (a connection whose bus cannot go silent has none). */
  heartbeat?: Partial<HeartbeatOptions>;
  /** Invalidations kept per key space while L2 is down; beyond this, the key space is fenced instead. */
  maxPendingInvalidations?: number;
  /** The breaker's clock. */
  now?: () => number;
}

export interface TierEvents {
  breaker: [{ state: BreakerState }];
  /** The bus was confirmed (true) or went silent (false). */
  bus: [{ confirmed: boolean }];
  l2_error: [{ operation: string; error: unknown }];
}

/** What /health reports of a connection. */
export interface TierHealth {
  breaker: BreakerState;
  /** `silent`: beats do not come back, so evictions may be missed; L1 is not served. */
  bus: "confirmed" | "silent";
  pendingInvalidations: number;
}

/**
 * The remote tier of one connection: every Redis call of every cache on it goes through `call`, behind one
 * circuit breaker, after the journal's replay. One health for the connection, so caches on it cannot
 * disagree (they once had a breaker each: a cache that only invalidates kept deferring while readers had
 * closed theirs and read entries it still owed invalidations for).
 */
/** How often owed invalidations are retried: well inside the 250 ms the recovery bound allows. */
const REPLAY_EVERY_MS = 50;

export class RemoteTier {
  readonly id = randomBytes(8).toString("hex");
  readonly events = new EventEmitter<TierEvents>().setMaxListeners(0);
  readonly #breaker: CircuitBreaker;
  readonly #journal: InvalidationJournal;
  readonly #heartbeat: BusHeartbeat | undefined;
  readonly #deadlineMs: number;
  #leaveBeats: (() => void) | undefined;
  #replayTimer: NodeJS.Timeout | undefined;
  #started: Promise<void> | undefined;
  /** From a reconnection until the master is known again: L2 operations wait for it (see holdUntilMasterKnown). */
  #masterUnknown: { known: Promise<void>; settle: () => void } | undefined;

  constructor(
    readonly connection: L2Connection,
    opts: RemoteTierOptions = {},
  ) {
    this.#breaker = new CircuitBreaker({
      failureThreshold: opts.breaker?.failureThreshold ?? 3,
      openMs: opts.breaker?.openMs ?? 1000,
      now: opts.now,
      onStateChange: (state) => this.events.emit("breaker", { state }),
    });
    this.#journal = new InvalidationJournal({ maxPerKeySpace: opts.maxPendingInvalidations ?? 10_000, from: this.id });
    const beats = { ...DEFAULT_HEARTBEAT, ...opts.heartbeat };
    this.#deadlineMs = beats.deadlineMs;
    if (!connection.canGoSilent) return;
    const channel = `${connection.namespace}:hb:${this.id}`;
    this.#heartbeat = new BusHeartbeat(beats, {
      // A beat is a probe: it goes out even while the breaker is open, so recovery is seen within a beat.
      send: (seq) => this.call("heartbeat", () => connection.publish(channel, String(seq)), true),
      onChange: (confirmed) => this.events.emit("bus", { confirmed }),
      resetSubscriber: () => connection.resetSubscriber(),
    });
  }

  /** Joins the beat channel and starts beating; resolves once the bus is confirmed, or after the deadline. */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start() {
    const hb = this.#heartbeat;
    if (!hb) return;
    const confirmed = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off("bus", done);
        resolve();
      };
      const timer = setTimeout(done, this.#deadlineMs);
      this.events.on("bus", done);
    });
    this.#leaveBeats = await this.connection.join(
      `${this.connection.namespace}:hb:${this.id}`,
      (text) => hb.received(Number(text)),
      (up) => hb.joined(up),
    );
    hb.start();
    await confirmed;
  }

  get breakerState(): BreakerState {
    return this.#breaker.state;
  }

  /** Whether beats come back (always, for a bus that cannot go silent). */
  get busConfirmed(): boolean {
    return this.#heartbeat?.confirmed ?? true;
  }

  /** L1 may be served only while the bus is confirmed and the breaker closed. */
  get l1Allowed(): boolean {
    return this.busConfirmed && this.#breaker.state === "closed";
  }

  get health(): TierHealth {
    return {
      breaker: this.#breaker.state,
      bus: this.busConfirmed ? "confirmed" : "silent",
      pendingInvalidations: this.#journal.size,
    };
  }

  /**
   * Runs one L2 operation: refused at once while the breaker is open (a `probe` goes out anyway, one at a
   * time), and after the replay of whatever invalidations are kept, so nothing reads L2 before it.
   */
  call<T>(operation: string, op: () => Promise<T>, probe = false): Promise<T> {
    if (!(probe ? this.#breaker.probe() : this.#breaker.allow())) return Promise.reject(new BypassedError());
    // The hot path adds one promise to the command's: no async frame, no replay check to await.
    if (this.#clear) return op().then(this.#succeeded, (error) => this.#failed(operation, error));
    return this.#beforeL2()
      .then(op)
      .then(this.#succeeded, (error) => this.#failed(operation, error));
  }

  /** As `call`, answering `fallback(error)` instead of failing, in the same promise. */
  attempt<T, F>(operation: string, op: () => Promise<T>, fallback: (error: unknown) => F): Promise<T | F> {
    if (!this.#breaker.allow()) return Promise.resolve(fallback(new BypassedError()));
    const failed = (error: unknown) => {
      this.#count(operation, error);
      return fallback(error);
    };
    if (this.#clear) return op().then(this.#succeeded, failed);
    return this.#beforeL2().then(op).then(this.#succeeded, failed);
  }

  /** Nothing to wait for before an L2 operation: the master is known and no invalidation is owed. */
  get #clear(): boolean {
    return this.#journal.empty && this.#masterUnknown === undefined;
  }

  /** The master known (and, if it changed, the key spaces fenced), then the journal replayed. */
  #beforeL2(): Promise<void> {
    return (this.#masterUnknown?.known ?? Promise.resolve()).then(() => this.#journal.replay());
  }

  /**
   * The connection is back but it may be to another master: until `masterKnown`, L2 operations wait, so
   * none reads an entry that a fence (after a failover) would have made a miss.
   */
  holdUntilMasterKnown(): void {
    if (this.#masterUnknown) return;
    let settle = () => {};
    const known = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.#masterUnknown = { known, settle };
  }

  /** The master is known again (its key spaces fenced first if it changed): L2 operations go on. */
  masterKnown(): void {
    const held = this.#masterUnknown;
    this.#masterUnknown = undefined;
    held?.settle();
  }

  readonly #succeeded = <T>(result: T): T => {
    this.#breaker.success();
    return result;
  };

  #failed(operation: string, error: unknown): never {
    this.#count(operation, error);
    throw error;
  }

  #count(operation: string, error: unknown): void {
    if (error instanceof BypassedError) return;
    this.#breaker.failure();
    this.events.emit("l2_error", { operation, error });
  }

  /**
   * Writes `write` (an invalidation or a write-through) and publishes its evictions; when L2 cannot be
   * reached, `unit` is kept for replay and the caller gets `CacheUnavailableError`.
   */
  async invalidating(operation: string, driver: L2Driver, unit: InvalidationUnit, write: () => Promise<void>) {
    try {
      await this.call(operation, write);
    } catch (err) {
      this.#journal.remember(driver, unit);
      this.#replayWhileOwed();
      throw new CacheUnavailableError(operation, err);
    }
  }

  /**
   * Fences the key spaces: until their generations are bumped, no cache on this connection reads L2 (the
   * journal is replayed first), and the bump makes every entry they hold a miss for every process.
   */
  fence(drivers: Iterable<L2Driver>): void {
    for (const driver of drivers) this.#journal.fence(driver);
    this.#replayWhileOwed();
  }

  /**
   * While invalidations are owed, tries to deliver them every REPLAY_EVERY_MS, through an open breaker as
   * a beat would: readers in other processes may meet the old entries until they land, so recovery must
   * not wait for the next request or beat.
   */
  #replayWhileOwed(): void {
    if (this.#replayTimer) return;
    this.#replayTimer = setInterval(() => {
      if (this.#journal.empty) {
        clearInterval(this.#replayTimer);
        this.#replayTimer = undefined;
        return;
      }
      this.call("replay", async () => {}, true).catch(() => undefined);
    }, REPLAY_EVERY_MS);
    this.#replayTimer.unref();
  }

  /** Stops beating; the connection is closed by whoever made it (the backend, or a cache's own driver). */
  close(): void {
    clearInterval(this.#replayTimer);
    this.#replayTimer = undefined;
    this.#heartbeat?.stop();
    this.#leaveBeats?.();
    this.#leaveBeats = undefined;
  }
}
