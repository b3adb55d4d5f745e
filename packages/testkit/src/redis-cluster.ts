import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { canListen, freePort } from "./free-port.ts";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The production configuration files the tests start from (deploy/redis). */
export const DEPLOY_REDIS_DIR = fileURLToPath(new URL("../../../deploy/redis/", import.meta.url));

/** One command through redis-cli (the test kit needs no Redis client); its reply as text, trimmed. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 5000 });
  return stdout.trim();
}

/** Polls `cond` every 50 ms until it holds; fails naming `what` after `ms`. */
export async function waitFor(what: string, cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}

/** A Redis process (server or sentinel) that can be killed as a crash would, and started again. */
export class RedisProcess {
  #child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    private readonly command: string,
    private readonly args: string[],
  ) {}

  get alive(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(): Promise<void> {
    this.#child = spawn(this.command, this.args, { stdio: "ignore" });
    await waitFor(`${this.command} on ${this.port}`, async () => (await redisCli(this.port, "PING")) === "PONG", 5000);
  }

  /** SIGKILL: no goodbye to clients, replicas or the cluster bus. */
  async kill(): Promise<void> {
    const c = this.#child;
    if (!c || !this.alive) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await exited;
  }

  pause(): void {
    if (this.alive) this.#child?.kill("SIGSTOP");
  }

  resume(): void {
    if (this.alive) this.#child?.kill("SIGCONT");
  }
}

/** A temp dir holding a copy of a deploy/redis file, removed by `remove`. */
export function configCopy(file: string): { dir: string; path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "pf-redis-"));
  const path = join(dir, file);
  copyFileSync(join(DEPLOY_REDIS_DIR, file), path);
  return { dir, path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

interface ClusterNodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: string[];
}

function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id = "", addr = "", flags = "", masterId = "", , , , , ...slots] = line.trim().split(" ");
      return { id, port: Number(addr.split(":")[1]?.split("@")[0]), flags: flags.split(","), masterId, slots };
    });
}

const holdsSlot = (ranges: string[], slot: number) =>
  ranges.some((r) => {
    if (r.startsWith("[")) return false;
    const [from, to = from] = r.split("-").map(Number) as [number, number?];
    return slot >= from && slot <= (to as number);
  });

export interface RedisCluster {
  /** Seed nodes, as REDIS_CLUSTER_NODES or ioredis' Cluster take them. */
  nodes: Array<{ host: string; port: number }>;
  /** `host:port,...` for REDIS_CLUSTER_NODES. */
  seeds: string;
  /** The port of the master now serving `key`'s slot, as a live node sees the cluster. */
  masterOf(key: string): Promise<number>;
  /** The port of the replica of the master on `masterPort`. */
  replicaOf(masterPort: number): Promise<number>;
  /** kill -9 of one node. */
  killNode(port: number): Promise<void>;
  /** Waits until `key`'s slot is served by a master other than `oldPort` and it takes writes; its port. */
  waitForNewMaster(key: string, oldPort: number, ms?: number): Promise<number>;
  /** Runs one command on every live node (CLIENT PAUSE, CLIENT KILL ...). */
  onEveryNode(...args: string[]): Promise<void>;
  /** kill -9 of every node: the whole cache gone, as a standalone server's crash. */
  kill(): Promise<void>;
  /** Starts every node again (empty, with its cluster configuration) and waits until the cluster is ok. */
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/**
 * A free port whose cluster bus port (10000 above it, as Redis takes it) is free and valid too: the
 * kernel's ephemeral range may hand out ports above 55535, where a cluster node refuses to start.
 */
async function clusterPort(taken: number[]): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = await freePort();
    if (port <= 55_535 && !taken.includes(port) && (await canListen(port + 10_000))) return port;
  }
  throw new Error("no free port pair for a cluster node");
}

/**
 * Three masters and three replicas on free loopback ports, from deploy/redis/cluster-node.conf with a
 * short node timeout so that a killed master's replica takes over within a couple of seconds.
 */
export async function startRedisCluster(opts: { nodeTimeoutMs?: number } = {}): Promise<RedisCluster> {
  const conf = configCopy("cluster-node.conf");
  const ports: number[] = [];
  while (ports.length < 6) ports.push(await clusterPort(ports));
  const procs = ports.map(
    (port) =>
      new RedisProcess(port, "redis-server", [
        conf.path,
        ...["--port", String(port), "--dir", conf.dir, "--cluster-config-file", `nodes-${port}.conf`],
        ...["--cluster-node-timeout", String(opts.nodeTimeoutMs ?? 500), "--maxmemory", "64mb"],
      ]),
  );
  const byPort = new Map(procs.map((p) => [p.port, p]));
  const live = () => procs.filter((p) => p.alive);
  const view = async () => parseClusterNodes(await redisCli((live()[0] as RedisProcess).port, "CLUSTER", "NODES"));
  const allOk = async () => {
    const states = await Promise.all(live().map((p) => redisCli(p.port, "CLUSTER", "INFO")));
    return states.every((s) => s.includes("cluster_state:ok"));
  };
  const masterOf = async (key: string) => {
    const slot = Number(await redisCli((live()[0] as RedisProcess).port, "CLUSTER", "KEYSLOT", key));
    const master = (await view()).find(
      (n) => n.flags.includes("master") && !n.flags.some((f) => f.startsWith("fail")) && holdsSlot(n.slots, slot),
    );
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return master.port;
  };
  const startAll = async () => {
    await Promise.all(procs.map((p) => p.start()));
  };
  try {
    await startAll();
    const addrs = ports.map((p) => `127.0.0.1:${p}`);
    await run("redis-cli", ["--cluster", "create", ...addrs, "--cluster-replicas", "1", "--cluster-yes"]);
    await waitFor("cluster_state:ok on every node", allOk);
  } catch (err) {
    await Promise.all(procs.map((p) => p.kill()));
    conf.remove();
    throw err;
  }
  const stop = async () => {
    for (const p of procs) p.resume();
    await Promise.all(procs.map((p) => p.kill()));
    conf.remove();
  };
  return {
    nodes: ports.map((port) => ({ host: "127.0.0.1", port })),
    seeds: ports.map((p) => `127.0.0.1:${p}`).join(","),
    masterOf,
    async replicaOf(masterPort) {
      const nodes = await view();
      const master = nodes.find((n) => n.port === masterPort);
      const replica = nodes.find((n) => n.masterId === master?.id && byPort.get(n.port)?.alive);
      if (!replica) throw new Error(`no live replica of ${masterPort}`);
      return replica.port;
    },
    killNode: async (port) => byPort.get(port)?.kill(),
    async waitForNewMaster(key, oldPort, ms = 15_000) {
      let port = oldPort;
      await waitFor(
        `a new master for ${key}`,
        async () => {
          port = await masterOf(key);
          if (port === oldPort || !(await allOk())) return false;
          return (await redisCli(port, "ROLE")).startsWith("master");
        },
        ms,
      );
      return port;
    },
    async onEveryNode(...args) {
      await Promise.all(live().map((p) => redisCli(p.port, ...args)));
    },
    kill: async () => {
      await Promise.all(procs.map((p) => p.kill()));
    },
    async restart() {
      await startAll();
      await waitFor("cluster_state:ok after a restart", allOk);
    },
    pause: () => {
      for (const p of procs) p.pause();
    },
    resume: () => {
      for (const p of procs) p.resume();
    },
    stop,
  };
}
