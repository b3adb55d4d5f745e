import { readFileSync, writeFileSync } from "node:fs";
import { FaultProxy } from "./fault-proxy.ts";
import { freePort } from "./free-port.ts";
import { configCopy, RedisProcess, redisCli, waitFor } from "./redis-cluster.ts";

export interface RedisSentinelGroup {
  /** The master's name the sentinels know (REDIS_SENTINEL_NAME). */
  name: string;
  sentinels: Array<{ host: string; port: number }>;
  /** `host:port,...` for REDIS_SENTINELS. */
  seeds: string;
  /** The master's port as the sentinels report it now. */
  masterPort(): Promise<number>;
  /** SENTINEL FAILOVER: the replica is promoted and the old master demoted, both alive. Returns the old port. */
  failover(): Promise<number>;
  /** kill -9 of the current master; the sentinels must find it down first. Returns its port. */
  killMaster(): Promise<number>;
  /** The port of a live replica of the current master. */
  replicaPort(): Promise<number>;
  /**
   * The replica's replication link to the first master, through a proxy that can drop what the master
   * sends (`blackhole("downstream")`): writes the master acknowledged that its replica never got. Only
   * with `linkThroughProxy` (a SENTINEL FAILOVER finds no good replica behind it).
   */
  replicationLink?: FaultProxy;
  /** Waits until every sentinel names a master other than `oldPort` and that node answers as master. */
  waitForNewMaster(oldPort: number, ms?: number): Promise<number>;
  stop(): Promise<void>;
}

const NAME = "mymaster";

/** A data node; its folder is the temp copy's, where a replica's full sync writes the RDB it receives. */
const dataNode = (port: number, conf: { path: string; dir: string }, replicaOf?: number) =>
  new RedisProcess(port, "redis-server", [
    conf.path,
    ...["--port", String(port), "--dir", conf.dir, "--maxmemory", "64mb"],
    ...(replicaOf ? ["--replicaof", "127.0.0.1", String(replicaOf)] : []),
  ]);

/** A sentinel's own copy of deploy/redis/sentinel.conf (it rewrites it), watching the master on `masterPort`. */
function sentinelNode(port: number, masterPort: number, downAfterMs: number, failoverTimeoutMs: number) {
  const conf = configCopy("sentinel.conf");
  const text = readFileSync(conf.path, "utf8").replace(/(sentinel monitor \S+ \S+) \d+/, `$1 ${masterPort}`);
  writeFileSync(conf.path, text);
  const proc = new RedisProcess(port, "redis-sentinel", [
    conf.path,
    ...["--port", String(port), "--dir", conf.dir],
    ...["--sentinel", "down-after-milliseconds", NAME, String(downAfterMs)],
    ...["--sentinel", "failover-timeout", NAME, String(failoverTimeoutMs)],
  ]);
  return { proc, remove: conf.remove };
}

/**
 * One master, one replica and three sentinels (quorum 2) on free loopback ports, from the files in
 * deploy/redis with a short down-after so that a killed master is replaced within a couple of seconds.
 */
export async function startRedisSentinel(
  opts: { downAfterMs?: number; linkThroughProxy?: boolean } = {},
): Promise<RedisSentinelGroup> {
  const nodeConf = configCopy("replicated-node.conf");
  const [masterPort, replicaPort, ...sentinelPorts] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
  const replicationLink = opts.linkThroughProxy ? await FaultProxy.start({ port: masterPort as number }) : undefined;
  const data = new Map([
    [masterPort as number, dataNode(masterPort as number, nodeConf)],
    [replicaPort as number, dataNode(replicaPort as number, nodeConf, replicationLink?.port ?? masterPort)],
  ]);
  // Sentinels repoint a replica that replicates from another address than the master's once the failover
  // timeout has passed (+fix-slave-config): behind the proxy, the link must outlive the test.
  const failoverTimeout = opts.linkThroughProxy ? 120_000 : 5000;
  const sentinels = sentinelPorts.map((p) =>
    sentinelNode(p, masterPort as number, opts.downAfterMs ?? 400, failoverTimeout),
  );
  const stop = async () => {
    await Promise.all([...data.values(), ...sentinels.map((s) => s.proc)].map((p) => p.kill()));
    await replicationLink?.close();
    nodeConf.remove();
    for (const s of sentinels) s.remove();
  };
  const ask = (port: number, ...args: string[]) => redisCli(port, "SENTINEL", ...args);
  const masterSeenBy = async (port: number) =>
    Number((await ask(port, "GET-MASTER-ADDR-BY-NAME", NAME)).split("\n")[1]);
  try {
    for (const node of data.values()) await node.start();
    await Promise.all(sentinels.map((s) => s.proc.start()));
    // A failover needs the replica known to every sentinel, and each sentinel to know the two others.
    await waitFor("sentinels that know the replica and each other", async () => {
      const views = await Promise.all(
        sentinelPorts.map(async (p) => [await ask(p, "REPLICAS", NAME), await ask(p, "SENTINELS", NAME)]),
      );
      return views.every(([r, s]) => r?.includes(String(replicaPort)) && (s?.match(/^name$/gm)?.length ?? 0) === 2);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const first = sentinelPorts[0] as number;
  const masterPortNow = () => masterSeenBy(first);
  return {
    name: NAME,
    sentinels: sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
    seeds: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(","),
    masterPort: masterPortNow,
    async failover() {
      const old = await masterPortNow();
      const reply = await ask(first, "FAILOVER", NAME);
      if (reply !== "OK") throw new Error(`SENTINEL FAILOVER: ${reply}`);
      return old;
    },
    async killMaster() {
      const old = await masterPortNow();
      await data.get(old)?.kill();
      return old;
    },
    async replicaPort() {
      const master = await masterPortNow();
      const port = [...data.keys()].find((p) => p !== master && data.get(p)?.alive);
      if (port === undefined) throw new Error("no live replica");
      return port;
    },
    replicationLink,
    async waitForNewMaster(oldPort, ms = 15_000) {
      let port = oldPort;
      await waitFor(
        `a master other than ${oldPort}`,
        async () => {
          const seen = await Promise.all(sentinelPorts.map(masterSeenBy));
          port = seen[0] as number;
          if (seen.some((p) => p !== port) || port === oldPort) return false;
          return (await redisCli(port, "ROLE")).startsWith("master");
        },
        ms,
      );
      return port;
    },
    stop,
  };
}
