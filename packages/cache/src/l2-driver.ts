import type { KeySpace } from "./keys.ts";
import type { MasterWatch } from "./master-watch.ts";

/** What the engine needs from its shared second tier: Redis, or an in-process stand-in. */
export interface L2Read {
  /** The stored entry, or null. */
  payload: Buffer | null;
  /** The key space's generation now: entries of an older one are misses (journal.ts, the recovery fence). */
  generation: number;
  /** Current versions of the tags asked for, in order (0 when a tag was never bumped). */
  tagVersions: number[];
  /** When the read asked for it and the key held nothing: the key's version and the lease's outcome. */
  lease?: LeaseGrant;
}

/** Taking a key's load lease: the key's version, read with it (the fill's compare-and-set), and the outcome. */
export interface LeaseGrant {
  version: string;
  outcome: "acquired" | "busy";
}

/** A lease to take in the same round trip as a read, should the key hold nothing. */
export interface LeaseRequest {
  token: string;
  ttlMs: number;
}

export interface BusMessage {
  /** Sender, so a cache can skip its own messages. */
  from: string;
  /** Keys whose L1 copies must go. */
  keys?: string[];
  /** Tags whose L1 entries must go. */
  tags?: string[];
  /** A key whose value just landed in L2: waiters on its lease re-read. */
  filled?: string;
  /** Every L1 entry must go. */
  all?: boolean;
  /** The consistency auditor asks every process whether its L1 holds these from before a write. */
  probe?: AuditProbe;
  /** A process's answer to a probe: what its L1 holds of the names asked, and for how long. */
  answer?: AuditAnswer;
}

/** A write check's question (consistency-audit.ts); a process answers only about names its L1 holds. */
export interface AuditProbe {
  id: string;
  keys: string[];
  tags: string[];
  /** How long before the probe left the write was made: only entries held longer are worth an answer. */
  sinceWriteMs: number;
}

export interface AuditAnswer {
  /** The probe's id, and its sender's. */
  id: string;
  to: string;
  /** [name, ms held] of the keys, and of each tag's oldest entry, that L1 held longer than `sinceWriteMs`. */
  keys: Array<[string, number]>;
  tags: Array<[string, number]>;
}

/**
 * The connection(s) under one or more key spaces: a command connection and a subscriber, or one in-process
 * store. Caches on one connection share its breaker, heartbeat and journal (remote-tier.ts).
 */
export interface L2Connection {
  /** Prefix of the connection's own channels (the heartbeat's). */
  readonly namespace: string;
  /** Whether its bus can go silent; the in-process one cannot, so it needs no heartbeat. */
  readonly canGoSilent: boolean;
  /** Publishes through the command connection. */
  publish(channel: string, text: string): Promise<void>;
  /**
   * Delivers `channel`'s messages to `onMessage`; `onState(false)` when the subscription is lost (messages
   * may be missed from then on), `onState(true)` once it is back. Resolves once joined, or once the join
   * failed (then `onState(true)` comes when the subscriber is back). The returned function leaves.
   */
  join(channel: string, onMessage: (text: string) => void, onState: (up: boolean) => void): Promise<() => void>;
  /** Drops the subscriber connection and opens another: a half-open connection never ends by itself. */
  resetSubscriber(): void;
  /**
   * Tells `watch` when the server's master may have changed (a failover, a restart), which may have lost
   * writes it acknowledged; returns a function that stops watching. Absent where nothing can be lost.
   */
  watchMaster?(watch: MasterWatch): () => void;
  /** Closes the connections if it owns them. */
  close(): Promise<void>;
}

/** One key space's operations on the shared tier. */
export interface L2Driver {
  readonly keys: KeySpace;
  readonly connection: L2Connection;
  /**
   * The entry, the generation and the current versions of the given tags, in one round trip; with `lease`,
   * a key that holds nothing also has its version read and its lease taken in that same round trip, so a
   * miss costs two: this read, and the fill. Without, the read is lighter for the server (no script).
   */
  read(key: string, tags: readonly string[], lease?: LeaseRequest): Promise<L2Read>;
  /** The key's version: what a fill compares against, and what every invalidation of the key bumps. */
  readKeyVersion(key: string): Promise<string>;
  /** The generation and the tags' versions, for a write-through entry. */
  readVersions(tags: readonly string[]): Promise<{ generation: number; tagVersions: number[] }>;
  /**
   * Stores the entry only if the key's version is still `expectedVersion`; true when stored. With a lease
   * token, also releases that lease and tells the waiters, if any (`filled` on the bus), in the same round trip.
   */
  fill(
    key: string,
    expectedVersion: string,
    payload: Buffer,
    ttlMs: number,
    leaseToken?: string,
    from?: string,
  ): Promise<boolean>;
  /** Stores an entry unless the key holds one: no version read or bumped (its tags' versions fence it). */
  put(key: string, payload: Buffer, ttlMs: number): Promise<void>;
  /** Write-through: bumps the key's version (so in-flight fills lose) and stores the new entry. */
  set(key: string, payload: Buffer, ttlMs: number): Promise<void>;
  /** Bumps each key's version and deletes its entry. */
  invalidate(keys: readonly string[]): Promise<void>;
  /** Bumps each tag's version: every entry filled under an older version becomes a miss. */
  bumpTags(tags: readonly string[]): Promise<void>;
  /** Bumps the key space's generation: every entry of the key space becomes a miss, in one command. */
  bumpGeneration(): Promise<void>;
  /**
   * Takes the key's load lease (for a key that holds an entry no longer usable: stale, or of older tag
   * versions) and reads its version, atomically. A refused taker is remembered as a waiter, so the
   * holder's fill or release wakes it over the bus; an uncontended load publishes nothing.
   */
  acquireLease(key: string, token: string, ttlMs: number): Promise<LeaseGrant>;
  /** Releases the lease if `token` still holds it, and wakes the key's waiters, if any. */
  releaseLease(key: string, token: string, from?: string): Promise<void>;
  publish(message: BusMessage): Promise<void>;
  /** Joins the key space's bus (see `L2Connection.join`); the returned function leaves. */
  subscribe(onMessage: (m: BusMessage) => void, onBusState: (up: boolean) => void): Promise<() => void>;
  /** Leaves nothing behind: closes the connection too when the driver was made with its own. */
  close(): Promise<void>;
}

/** Parses a bus message; anything that is not one of ours is null. */
export function parseBusMessage(text: string): BusMessage | null {
  try {
    const m = JSON.parse(text) as unknown;
    return typeof m === "object" && m !== null && typeof (m as BusMessage).from === "string" ? (m as BusMessage) : null;
  } catch {
    return null;
  }
}

/** A key space's bus on a connection: JSON messages on the key space's channel. */
export function keySpaceBus(connection: L2Connection, channel: string): Pick<L2Driver, "publish" | "subscribe"> {
  return {
    publish: (message) => connection.publish(channel, JSON.stringify(message)),
    subscribe: (onMessage, onBusState) =>
      connection.join(
        channel,
        (text) => {
          const m = parseBusMessage(text);
          if (m) onMessage(m);
        },
        onBusState,
      ),
  };
}
