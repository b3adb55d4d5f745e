/** What the engine needs from its shared second tier: Redis, or an in-process stand-in. */
export interface L2Read {
  /** The stored entry, or null. */
  payload: Buffer | null;
  /** Current versions of the tags asked for, in order (0 when a tag was never bumped). */
  tagVersions: number[];
}

export interface BusMessage {
  /** Sender, so a process can skip its own messages. */
  from: string;
  /** Keys whose L1 copies must go. */
  keys?: string[];
  /** Tags whose L1 entries must go. */
  tags?: string[];
  /** A key whose value just landed in L2: waiters on its lease re-read. */
  filled?: string;
  /** Every L1 entry must go. */
  all?: boolean;
}

export interface L2Driver {
  /** The entry and the current versions of the given tags; one round trip. */
  read(key: string, tags: readonly string[]): Promise<L2Read>;
  /** The key's version; a fill must present it back (compare-and-set). Read before the loader runs. */
  readVersion(key: string): Promise<string>;
  /**
   * Stores the entry only if the key's version is still `expectedVersion`; true when stored. With a lease
   * token, also releases that lease and tells the waiters (`filled` on the bus), in the same round trip.
   */
  fill(
    key: string,
    expectedVersion: string,
    payload: Buffer,
    ttlMs: number,
    leaseToken?: string,
    from?: string,
  ): Promise<boolean>;
  /** Write-through: bumps the key's version (so in-flight fills lose) and stores the new entry. */
  set(key: string, payload: Buffer, ttlMs: number): Promise<void>;
  /** Bumps each key's version and deletes its entry. */
  invalidate(keys: readonly string[]): Promise<void>;
  /** Bumps each tag's version: every entry filled under an older version becomes a miss. */
  bumpTags(tags: readonly string[]): Promise<void>;
  readTagVersions(tags: readonly string[]): Promise<number[]>;
  /**
   * Takes the key's load lease. With `unlessFilled`, a value that landed since the caller's read is
   * reported (`filled`) instead: the caller re-reads rather than loading a second time.
   */
  acquireLease(
    key: string,
    token: string,
    ttlMs: number,
    unlessFilled: boolean,
  ): Promise<"acquired" | "busy" | "filled">;
  releaseLease(key: string, token: string): Promise<void>;
  /** Deletes every entry of the cache (after an outage whose invalidations could not all be kept). */
  flush(): Promise<void>;
  publish(message: BusMessage): Promise<void>;
  /**
   * Receives bus messages. `onBusState(false)` when the subscription is lost (messages may be missed from
   * then on), `onBusState(true)` once it is back.
   */
  subscribe(onMessage: (m: BusMessage) => void, onBusState: (up: boolean) => void): Promise<void>;
  close(): Promise<void>;
}
