import type { BusMessage } from "./l2-driver.ts";
import type { L2Tier } from "./l2-tier.ts";
import type { LocalTier } from "./local-tier.ts";

/**
 * One cache's bus: it evicts this process's L1 on other processes' messages, wakes lease waiters, and
 * decides whether L1 may be trusted. L1 may miss evictions whenever the cache's channel is not joined,
 * the connection's heartbeat is not confirmed, or the breaker is not closed; on every change of that
 * verdict L1 is emptied and the epoch moves, so no read made under the old verdict fills L1 under the new.
 */
export class CacheBus {
  #joined = false;
  /** The verdict last reported; the null tier's starts true. */
  #trusted: boolean;
  #leave: (() => void) | undefined;
  readonly #onTier = () => this.#update();

  constructor(
    private readonly l2: L2Tier,
    private readonly local: LocalTier,
    private readonly id: string,
    private readonly hooks: { filled(k: string): void; changed(up: boolean): void; audit(m: BusMessage): void },
  ) {
    this.#trusted = !l2.present;
  }

  async connect(): Promise<void> {
    this.l2.events.on("bus", this.#onTier);
    this.l2.events.on("breaker", this.#onTier);
    this.#leave = await this.l2.subscribe(
      (m) => this.#onMessage(m),
      (up) => {
        this.#joined = up;
        this.#update();
      },
    );
  }

  /**
   * Whether L1 may be served and filled now; checked on every use, as the heartbeat's deadline runs.
   * Without a second tier there is no other process to miss evictions from: L1 is trusted unconnected.
   */
  get trusted(): boolean {
    return (this.#joined || !this.l2.present) && this.l2.l1Allowed;
  }

  close(): void {
    this.l2.events.off("bus", this.#onTier);
    this.l2.events.off("breaker", this.#onTier);
    this.#leave?.();
    this.#leave = undefined;
    this.#joined = false;
  }

  #onMessage(m: BusMessage) {
    if (m.filled) this.hooks.filled(m.filled);
    // The auditor's questions and answers evict nothing; its own probes are answered too (it skips them).
    if (m.probe || m.answer) return this.hooks.audit(m);
    if (m.from === this.id) return;
    if (m.all) this.local.evictAll();
    else if (m.keys?.length || m.tags?.length) this.local.evict(m.keys ?? [], m.tags ?? []);
  }

  #update() {
    const trusted = this.trusted;
    if (trusted === this.#trusted) return;
    this.#trusted = trusted;
    this.local.evictAll();
    this.hooks.changed(trusted);
  }
}
