/** Loads waiting for another process's fill of a key, woken by its `filled` message or by a poll. */
export class LeaseWaiters {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** Resolves when `wake(k)` is called, or after `ms` at the latest. */
  wait(k: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(k);
      if (!waiters) {
        waiters = new Set();
        this.#waiters.set(k, waiters);
      }
      const set = waiters;
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.#waiters.get(k) === set) this.#waiters.delete(k);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(1, ms));
      set.add(wake);
    });
  }

  wake(k: string): void {
    const waiters = this.#waiters.get(k);
    if (waiters) for (const wake of [...waiters]) wake();
  }
}
