export type BreakerState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** How long it stays open before letting one probe through. */
  openMs: number;
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

/**
 * Bypasses a failing dependency: closed (calls pass), open (calls are refused at once), half-open (one
 * probe at a time; its success closes, its failure re-opens). Pure state, no timers: time is read on use.
 */
export class CircuitBreaker {
  #state: BreakerState = "closed";
  #failures = 0;
  #openedAt = 0;
  #probing = false;
  readonly #now: () => number;

  constructor(private readonly opts: CircuitBreakerOptions) {
    this.#now = opts.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.#state === "open" && this.#now() - this.#openedAt >= this.opts.openMs) this.#set("half_open");
    return this.#state;
  }

  /** Whether a call may go to the dependency now; in half-open, only one probe at a time. */
  allow(): boolean {
    const s = this.state;
    if (s === "closed") return true;
    if (s === "open" || this.#probing) return false;
    this.#probing = true;
    return true;
  }

  /**
   * A probe off the open period's schedule (the heartbeat's, every beat): allowed in any state unless a
   * probe is out already. One small command per beat costs Redis nothing, and recovery is then noticed
   * within a beat instead of `openMs`, which bounds how long invalidations kept during an outage wait.
   */
  probe(): boolean {
    if (this.state === "closed") return true;
    if (this.#probing) return false;
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#probing = false;
    if (this.#state !== "closed") this.#set("closed");
  }

  failure(): void {
    this.#probing = false;
    this.#failures++;
    if (this.#state === "half_open" || this.#failures >= this.opts.failureThreshold) {
      this.#openedAt = this.#now();
      if (this.#state !== "open") this.#set("open");
    }
  }

  #set(state: BreakerState) {
    this.#state = state;
    this.opts.onStateChange?.(state);
  }
}
