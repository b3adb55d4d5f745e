/**
 * What the writers had acknowledged, per entity (a product's price, an order's status), and when. Values
 * only grow (prices are set from a rising counter, statuses only move forward, one write in flight per
 * entity), so a read is stale when it began after an acknowledgement and saw less than it.
 */
export class Ledger {
  readonly #acks = new Map<string, Array<{ value: number; at: number }>>();
  readonly #inFlight = new Set<string>();
  #counter = 0;

  /** A value above every one handed out before, across scenarios: what a price is set to. */
  nextValue(): number {
    return 1_000_000 + ++this.#counter;
  }

  /** Takes the entity for one write; false when a write on it is already under way. */
  claim(key: string): boolean {
    if (this.#inFlight.has(key)) return false;
    this.#inFlight.add(key);
    return true;
  }

  release(key: string): void {
    this.#inFlight.delete(key);
  }

  ack(key: string, value: number, at: number): void {
    let list = this.#acks.get(key);
    if (!list) {
      list = [];
      this.#acks.set(key, list);
    }
    list.push({ value, at });
  }

  /** The newest value acknowledged at or before `at`. */
  ackedAt(key: string, at: number): number | undefined {
    const list = this.#acks.get(key);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const a = list[i] as { value: number; at: number };
      if (a.at <= at) return a.value;
    }
    return undefined;
  }

  /**
   * Whether `seen`, read by a request that began at `startedAt`, is older than what was acknowledged then:
   * undefined when fresh, else how long before the read began the first write it missed was acknowledged
   * (a few ms: the other instances' L1 had not heard of it yet; seconds: something kept an old value).
   */
  missedBy(key: string, seen: number, startedAt: number): number | undefined {
    const list = this.#acks.get(key) ?? [];
    const missed = list.find((a) => a.value > seen && a.at <= startedAt);
    return missed ? startedAt - missed.at : undefined;
  }

  /** The newest value acknowledged for `key`. */
  last(key: string): number | undefined {
    return this.#acks.get(key)?.at(-1)?.value;
  }

  /** Every entity written, with its newest acknowledged value. */
  latest(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [key, list] of this.#acks) {
      const last = list.at(-1);
      if (last) out.set(key, last.value);
    }
    return out;
  }
}
