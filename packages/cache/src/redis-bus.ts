import { Cluster, type Redis } from "ioredis";
import type { L2Connection } from "./l2-driver.ts";
import { type RedisClient, watchMasterChanges } from "./redis-connection.ts";

/**
 * The node connection a Cluster subscribes on. ioredis keeps it apart from the Cluster's own connections
 * and, when it ends (its node died, was demoted and dropped its clients, or killed it), makes another on
 * a random node and re-subscribes there, without an event: messages published in between are lost, and
 * nothing would tell L1. Read through ioredis' private field, the only way to see that connection.
 */
function nodeSubscriberOf(client: RedisClient): Redis | null {
  if (!(client instanceof Cluster)) return null;
  return (client as unknown as { subscriber?: { getInstance(): Redis | null } }).subscriber?.getInstance() ?? null;
}

interface Member {
  onMessage: (text: string) => void;
  onState: (up: boolean) => void;
  up: boolean;
}

/**
 * The two Redis connections as one `L2Connection`. It owns the subscriber's listeners (one set, however many
 * caches join) and re-joins every channel after a reconnect, since clients are made with `autoResubscribe`
 * off: a member is told it is up only once its own SUBSCRIBE was answered on the current connection.
 */
export class RedisL2Connection implements L2Connection {
  readonly canGoSilent = true;
  readonly #channels = new Map<string, Set<Member>>();
  /** Channels subscribed on the subscriber's current connection. */
  readonly #joined = new Set<string>();
  readonly #listeners: Array<[string, (...args: unknown[]) => void]>;
  #ready: boolean;
  #syncing: Promise<void> | undefined;
  /** On a Cluster, the node connection the channels were last joined on. */
  #nodeSubscriber: Redis | null = null;

  constructor(
    readonly client: RedisClient,
    readonly subscriber: RedisClient,
    readonly namespace: string,
    private readonly ownsConnections: boolean,
  ) {
    this.#ready = subscriber.status === "ready";
    const down = () => this.#down();
    this.#listeners = [
      ["message", (channel, text) => this.#deliver(String(channel), String(text))],
      ["close", down],
      ["end", down],
      ["reconnecting", down],
      [
        "ready",
        () => {
          this.#ready = true;
          void this.#sync();
        },
      ],
    ];
    for (const [event, fn] of this.#listeners) subscriber.on(event, fn);
  }

  async publish(channel: string, text: string): Promise<void> {
    await this.client.publish(channel, text);
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

  watchMaster(onChange: () => void): () => void {
    return watchMasterChanges(this.client, onChange);
  }

  resetSubscriber(): void {
    this.#down();
    this.subscriber.disconnect(true);
  }

  async close(): Promise<void> {
    for (const [event, fn] of this.#listeners) this.subscriber.off(event, fn);
    this.#channels.clear();
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

  /** Subscribes whatever is not yet joined, until nothing is left; one run at a time. */
  #sync(): Promise<void> {
    this.#syncing ??= (async () => {
      while (this.#ready) {
        const missing = [...this.#channels.keys()].filter((c) => !this.#joined.has(c));
        if (missing.length === 0) return;
        try {
          await this.subscriber.subscribe(...missing);
        } catch {
          // Ready but not answering: start over on a new connection rather than wait on this one.
          this.resetSubscriber();
          return;
        }
        if (!this.#ready) return;
        this.#watchNodeSubscriber();
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
   * On a Cluster: when the node connection the channels were joined on ends, the members are down (their
   * L1 is emptied: evictions may have been missed) and the channels are joined again on the connection
   * ioredis made meanwhile, or, if that one does not answer, on a whole new Cluster connection.
   */
  #watchNodeSubscriber() {
    const node = nodeSubscriberOf(this.subscriber);
    if (!node || node === this.#nodeSubscriber) return;
    this.#nodeSubscriber = node;
    node.once("end", () => {
      if (this.#nodeSubscriber !== node) return;
      this.#nodeSubscriber = null;
      this.#down();
      if (this.subscriber.status !== "ready") return;
      this.#ready = true;
      void this.#sync();
    });
  }

  #leave(channel: string, member: Member) {
    const members = this.#channels.get(channel);
    if (!members?.delete(member) || members.size > 0) return;
    this.#channels.delete(channel);
    if (this.#joined.delete(channel)) this.subscriber.unsubscribe(channel).catch(() => undefined);
  }
}
