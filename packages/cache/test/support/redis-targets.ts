import { type RedisServer, redisCli, startRedisCluster, startRedisServer } from "@printfab/testkit";
import { expect, it } from "vitest";
import type { RedisConnectionOptions } from "../../src/redis-connection.ts";

/** The Redis deployments the shared suites run on. */
export type RedisKind = "standalone" | "cluster";
export const REDIS_KINDS: readonly RedisKind[] = ["standalone", "cluster"];

/** A private Redis of either kind, with the faults the suites inject, on every node at once. */
export interface RedisTarget {
  kind: RedisKind;
  /** What `connectCacheBackend` takes to reach it. */
  connection: Pick<RedisConnectionOptions, "url" | "clusterNodes">;
  /** A standalone server's URL; for a cluster, its first node's (for tools only: caches use `connection`). */
  url: string;
  /** A standalone server's port; for a cluster, its first node's. */
  port: number;
  kill(): Promise<void>;
  /** Starts it again, empty (a cluster keeps its slot map). */
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  /** One command on every node, e.g. `CLIENT PAUSE 1000 ALL` or `CLIENT KILL TYPE pubsub`. */
  onEveryNode(...args: string[]): Promise<void>;
  /** Error replies the nodes sent since they started, by kind (`MOVED`, `ASK`, `CROSSSLOT`...), summed. */
  errorReplies(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

async function errorStats(ports: number[]): Promise<Record<string, number>> {
  const sum: Record<string, number> = {};
  for (const port of ports) {
    for (const m of (await redisCli(port, "INFO", "errorstats")).matchAll(/errorstat_(\w+):count=(\d+)/g)) {
      sum[m[1] as string] = (sum[m[1] as string] ?? 0) + Number(m[2]);
    }
  }
  return sum;
}

function standalone(server: RedisServer): RedisTarget {
  return {
    kind: "standalone",
    connection: { url: server.url },
    url: server.url,
    port: server.port,
    kill: () => server.kill(),
    restart: () => server.restart(),
    pause: () => server.pause(),
    resume: () => server.resume(),
    onEveryNode: async (...args) => {
      await redisCli(server.port, ...args);
    },
    errorReplies: () => errorStats([server.port]),
    stop: () => server.stop(),
  };
}

export async function startRedisTarget(kind: RedisKind): Promise<RedisTarget> {
  if (kind === "standalone") return standalone(await startRedisServer());
  const cluster = await startRedisCluster();
  const first = cluster.nodes[0]?.port as number;
  return {
    kind,
    connection: { clusterNodes: cluster.nodes },
    url: `redis://127.0.0.1:${first}`,
    port: first,
    kill: () => cluster.kill(),
    restart: () => cluster.restart(),
    pause: () => cluster.pause(),
    resume: () => cluster.resume(),
    onEveryNode: (...args) => cluster.onEveryNode(...args),
    errorReplies: () => errorStats(cluster.nodes.map((n) => n.port)),
    stop: () => cluster.stop(),
  };
}

/**
 * Redirections and slot errors the nodes answered: a script whose keys span slots is refused (CROSSSLOT),
 * and a client that sent to the wrong node was redirected (MOVED, ASK). Once the slot map is known, none.
 */
export async function slotErrors(target: RedisTarget): Promise<Record<string, number>> {
  const all = await target.errorReplies();
  return Object.fromEntries(["CROSSSLOT", "MOVED", "ASK"].map((k) => [k, all[k] ?? 0]));
}

/**
 * Redirections a suite may meet without a fault of ours: a busy machine can stall a node past the cluster's
 * node timeout (or a suite pauses them all), its replica takes over, and the first commands to the moved
 * slots are redirected once. A key layout that spans slots would be refused on every script, and a client
 * that ignored the map would be redirected on every command: thousands.
 */
const REDIRECTIONS_AFTER_A_FAILOVER = 20;

/** The suite's last test: every script's keys were in one slot, and no storm of commands to the wrong node. */
export function expectNoSlotErrors(target: () => RedisTarget): void {
  it("sent no script across slots and no storm of commands to the wrong node", async () => {
    const errors = await slotErrors(target());
    expect(errors.CROSSSLOT).toBe(0);
    expect((errors.MOVED ?? 0) + (errors.ASK ?? 0)).toBeLessThanOrEqual(REDIRECTIONS_AFTER_A_FAILOVER);
  });
}
