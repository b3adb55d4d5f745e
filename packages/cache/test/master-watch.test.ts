import { redisCli, startRedisServer } from "@printfab/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { watchMasterChanges } from "../src/master-watch.ts";
import { createMemoryConnection, MemoryL2Store } from "../src/memory-l2.ts";
import { connectRedis, type RedisClient, waitUntilReady } from "../src/redis-connection.ts";
import { RemoteTier } from "../src/remote-tier.ts";
import { sleep, until } from "./support/caches.ts";

const clients: RedisClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

async function watched(url: string) {
  const client = connectRedis({ url });
  clients.push(client);
  await waitUntilReady(client);
  const seen: string[] = [];
  const stop = watchMasterChanges(client, {
    unsure: () => seen.push("unsure"),
    settled: (changed) => seen.push(changed ? "changed" : "same"),
  });
  return { client, seen, stop };
}

describe("watchMasterChanges", () => {
  it("a reconnection to the same server: unsure, then the same master", async () => {
    const server = await startRedisServer();
    try {
      const w = await watched(server.url);
      await sleep(50);
      await redisCli(server.port, "CLIENT", "KILL", "TYPE", "normal");
      await until(() => w.seen.length === 2, 5000, "the check");
      expect(w.seen).toEqual(["unsure", "same"]);
    } finally {
      await server.stop();
    }
  });

  it("a server that restarted (a new replication id): unsure, then changed", async () => {
    const server = await startRedisServer();
    try {
      const w = await watched(server.url);
      await sleep(50);
      await server.kill();
      await server.restart();
      await until(() => w.seen.length === 2, 5000, "the check");
      expect(w.seen).toEqual(["unsure", "changed"]);
      w.stop();
    } finally {
      await server.stop();
    }
  });
});

describe("RemoteTier while the master is unknown", () => {
  it("holds L2 operations until the master is known, then runs them", async () => {
    const tier = new RemoteTier(createMemoryConnection(new MemoryL2Store(), "t"));
    tier.holdUntilMasterKnown();
    const ran: string[] = [];
    const op = tier.call("read", async () => ran.push("read"));
    await sleep(20);
    expect(ran).toEqual([]);
    tier.masterKnown();
    await op;
    expect(ran).toEqual(["read"]);
  });
});
