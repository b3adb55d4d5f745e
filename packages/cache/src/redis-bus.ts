import { Cluster } from "ioredis";
import type { L2Connection } from "./l2-driver.ts";
import { type MasterWatch, watchMasterChanges } from "./master-watch.ts";
import type { RedisClient } from "./redis-connection.ts";
import { ShardedSubscription } from "./sharded-subscription.ts";

interface Member {
  onMessage: (text: string) => void;
  onState: (up: boolean) => void;
  up: boolean;
}

/**
 * The two Redis connections as one `L2Connection`. It owns the subscriber's listeners (one set, however many
 * caches join) and re-joins every channel after a reconnect, since clients are made with `autoResubscribe`
 * off: a member is told it is up only once its own SUBSCRIBE was answered on the current connection.
 *
 * On a Cluster the bus is sharded pub/sub (SPUBLISH, SSUBSCRIBE): a channel lives on the master of its slot,
 * which delivers to its subscribers before it answers the publisher, as one server does; classic PUBLISH
 * would reach a subscriber on another node later, through the cluster bus, after the write was acknowledged.
 * ioredis keeps one subscriber connection per master (see `ShardedSubscription`).
 */
export class RedisL2Connection implements L2Connection {
  readonly canGoSilent = true;
  readonly #channels = new Map<string, Set<Member>>();
  /** Channels subscribed on the subscriber's current connection(s). */
  readonly #joined = new Set<string>();
  readonly #listeners: Array<[string, (...args: unknown[]) => void]>;
  readonly #shards: ShardedSubscription | null;
  #ready: boolean;
  #syncing: Promise<void> | undefined;

  constructor(
    readonly client: RedisClient,
    readonly subscriber: RedisClient,
    readonly namespace: string,
    private readonly ownsConnections: boolean,
  ) {
    this.#ready = subscriber.status === "ready";
    this.#shards = subscriber instanceof Cluster ? new ShardedSubscription(subscriber) : null;
    const down = () => this.#down();
    const deliver = (channel: unknown, text: unknown) => this.#deliver(String(channel), String(text));
    this.#listeners = [
      [this.#shards ? "smessage" : "message", deliver],
      ["close", down],
      ["end", down],
      ["reconnecting", down],
      ["ready", () => this.#rejoin()],
    ];
    if (this.#shards) {
      // A shard subscriber's connection ended (its node died, was demoted, or dropped it) or was replaced:
      // which channels it held is ioredis' private business, so every channel is down, then joined again.
      const lost = () => this.#shardLost();
      const refreshed = () => {
        if (this.#shards?.moved([...this.#joined])) this.#shardLost();
      };
      this.#listeners.push(["-node", lost], ["-subscriber", lost], ["refresh", refreshed]);
      this.#listeners.push(["subscribersReady", () => this.#rejoin()]);
    }
    for (const [event, fn] of this.#listeners) subscriber.on(event, fn);
  }

  async publish(channel: string, text: string): Promise<void> {
    if (this.#shards) await (this.client as Cluster).spublish(channel, text);
    else await this.client.publish(channel, text);
  }

  async join(channel: string, onMessage: (text: string) => void, onState: (up: boolean) => void) {
    const member: Member = { onMessage, onState, up: false };
    let members = this.#channels.get(channel);
    if (!members) {
      members = new Set();
      this.#channels.set(channel, members);
    }
    members.add(member);
    if (this.#joined.has(channel)) this.#notify(member, true);
    // A run that was ending as this channel came may have missed it: run again until it is joined or down.
    while (this.#ready && !this.#joined.has(channel)) await this.#sync();
    return () => this.#leave(channel, member);
  }

  watchMaster(watch: MasterWatch): () => void {
    return watchMasterChanges(this.client, watch);
  }

  resetSubscriber(): void {
    this.#down();
    this.subscriber.disconnect(true);
  }

  async close(): Promise<void> {
    for (const [event, fn] of this.#listeners) this.subscriber.off(event, fn);
    this.#channels.clear();
    this.#shards?.close();
    if (!this.ownsConnections) return;
    this.subscriber.disconnect();
    this.client.disconnect();
  }

  #deliver(channel: string, text: string) {
    const members = this.#channels.get(channel);
    if (members) for (const m of members) m.onMessage(text);
  }

  #notify(m: Member, up: boolean) {
    if (m.up === up) return;
    m.up = up;
    m.onState(up);
  }

  #down() {
    this.#ready = false;
    this.#joined.clear();
    for (const members of this.#channels.values()) for (const m of members) this.#notify(m, false);
  }

  /** The subscriber can take subscriptions again: join whatever is not joined. */
  #rejoin() {
    if (this.subscriber.status !== "ready") return;
    this.#ready = true;
    void this.#sync();
  }

  /**
   * A shard's subscription may have lost messages: every member is down (its L1 is emptied), and the
   * channels are joined again once ioredis says its subscribers are ready, or after a pause if it does not.
   */
  #shardLost() {
    this.#down();
    this.#shards?.retryLater(() => this.#rejoin());
  }

  /** Subscribes whatever is not yet joined, until nothing is left; one run at a time. */
  #sync(): Promise<void> {
    this.#syncing ??= (async () => {
      while (this.#ready) {
        const missing = [...this.#channels.keys()].filter((c) => !this.#joined.has(c));
        if (missing.length === 0) return;
        try {
          if (this.#shards) await this.#shards.subscribe(missing);
          else await this.subscriber.subscribe(...missing);
        } catch (err) {
          this.#shards?.unstick(err as Error);
          this.#subscribeFailed();
          return;
        }
        if (!this.#ready) return;
        for (const c of missing) {
          this.#joined.add(c);
          for (const m of this.#channels.get(c) ?? []) this.#notify(m, true);
        }
      }
    })().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  /**
   * Ready but not answering: start over on a new connection rather than wait on this one. On a Cluster,
   * where a shard subscriber that ended or is still connecting refuses or times out, ioredis replaces it by
   * itself: the channels are joined again later (a new Cluster connection would drop every shard's).
   */
  #subscribeFailed() {
    if (this.#shards) this.#shardLost();
    else this.resetSubscriber();
  }

  #leave(channel: string, member: Member) {
    const members = this.#channels.get(channel);
    if (!members?.delete(member) || members.size > 0) return;
    this.#channels.delete(channel);
    if (!this.#joined.delete(channel)) return;
    const left = this.#shards ? this.#shards.unsubscribe(channel) : this.subscriber.unsubscribe(channel);
    left.catch(() => undefined);
  }
}
