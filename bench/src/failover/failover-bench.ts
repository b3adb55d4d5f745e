import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startRedisCluster, startRedisSentinel } from "@printfab/testkit";
import { audit } from "../faults/audit.ts";
import { LoadClient } from "../faults/client.ts";
import { allHealthy, targetsOf } from "../faults/faults-bench.ts";
import { Ledger } from "../faults/ledger.ts";
import { HOT_PRODUCTS } from "../faults/read-mix.ts";
import { type Rig, startRig } from "../faults/rig.ts";
import { HEALED_WITHIN_MS, summarize } from "../faults/summary.ts";
import { Workload } from "../faults/workload.ts";

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One failover: made at `faultAt`; resolves once the new master serves. */
type Failover = (rig: Rig) => Promise<void>;

interface Row {
  fault: string;
  requests: number;
  errors: number;
  windowMs: number;
  staleAfterWindow: number;
  staleInWindow: number;
  lostWrites: number;
  staleAtEnd: number;
  recovered: boolean;
  /** Per view: stale reads, how long after the new master served the last one began, the longest miss. */
  staleBy: Record<string, { count: number; lastAfterHealMs: number; maxMissedByMs: number }>;
}

interface Timeline {
  warmMs: number;
  afterMs: number;
}

/** Load, the failover, load on for `afterMs` after the new master serves; then the audit against PostgreSQL. */
async function runOne(rig: Rig, name: string, failover: Failover, ledger: Ledger, tl: Timeline): Promise<Row> {
  const client = new LoadClient();
  const t = targetsOf(rig);
  const load = new Workload(client, t, ledger, { readers: 8, writeEveryMs: 50 });
  try {
    await sleep(tl.warmMs);
    const faultAt = performance.now();
    // The load stops whatever happens: a failover that throws must not leave it running into the teardown.
    const servingAt = await failover(rig).then(
      () => performance.now(),
      async (err) => {
        await load.stop();
        throw err;
      },
    );
    await sleep(tl.afterMs);
    const f = summarize(await load.stop(), faultAt, servingAt);
    const recovered = await allHealthy(rig, 20_000);
    const a = await audit(rig, ledger, client, t);
    const row = {
      fault: name,
      requests: f.requests,
      errors: f.errors,
      windowMs: Math.round(servingAt - faultAt),
      staleAfterWindow: f.staleLate,
      staleInWindow: f.staleReads - f.staleLate,
      lostWrites: a.lostWrites,
      staleAtEnd: a.staleAtEnd,
      recovered,
      staleBy: f.staleBy,
    };
    log(`    ${JSON.stringify(row)}`);
    return row;
  } finally {
    await client.close();
  }
}

/** The Sentinel group's two failovers on one rig: SENTINEL FAILOVER, then kill -9 of the master it made. */
async function sentinelRows(ledger: Ledger, tl: Timeline): Promise<Row[]> {
  const group = await startRedisSentinel({ downAfterMs: 1000 });
  try {
    const rig = await startRig({ REDIS_SENTINELS: group.seeds, REDIS_SENTINEL_NAME: group.name });
    try {
      if (!(await allHealthy(rig, 20_000))) throw new Error("the services are not healthy at start");
      return [
        await runOne(
          rig,
          "Sentinel: SENTINEL FAILOVER",
          async () => {
            await group.waitForNewMaster(await group.failover());
          },
          ledger,
          tl,
        ),
        await runOne(
          rig,
          "Sentinel: kill -9 of the master",
          async () => {
            await group.waitForNewMaster(await group.killMaster());
          },
          ledger,
          tl,
        ),
      ];
    } finally {
      await rig.close();
    }
  } finally {
    await group.stop();
  }
}

/** kill -9 of the Cluster master holding the hottest product page's slot. */
async function clusterRows(ledger: Ledger, tl: Timeline): Promise<Row[]> {
  const cluster = await startRedisCluster({ nodeTimeoutMs: 1000 });
  try {
    const rig = await startRig({ REDIS_CLUSTER_NODES: cluster.seeds });
    try {
      if (!(await allHealthy(rig, 20_000))) throw new Error("the services are not healthy at start");
      const slotKey = "{v2:product:1}";
      return [
        await runOne(
          rig,
          `Cluster: kill -9 of the master of ${slotKey}`,
          async () => {
            const master = await cluster.masterOf(slotKey);
            await cluster.killNode(master);
            await cluster.waitForNewMaster(slotKey, master);
          },
          ledger,
          tl,
        ),
      ];
    } finally {
      await rig.close();
    }
  } finally {
    await cluster.stop();
  }
}

function table(rows: Row[], tl: Timeline, startedAt: string): string {
  const head = [
    "| fault | requests | errors | failover window (ms) | stale reads in the window | stale reads after it (+250 ms) | lost writes | stale at end | healthy after |",
    "|---|--:|--:|--:|--:|--:|--:|--:|---|",
  ];
  const lines = rows.map(
    (r) =>
      `| ${r.fault} | ${r.requests} | ${r.errors} | ${r.windowMs} | ${r.staleInWindow} | ${r.staleAfterWindow} | ${r.lostWrites} | ${r.staleAtEnd} | ${r.recovered ? "yes" : "no"} |`,
  );
  return [
    "# Redis failovers under load",
    "",
    `Run ${startedAt}: four service processes (MES, CRM, two Shops) on a fresh database, 8 closed-loop readers, a`,
    `price change and an order status change every 50 ms; ${tl.warmMs} ms of load before the fault and ${tl.afterMs} ms`,
    "after the new master served. The failover window runs from the fault to the new master answering as master",
    "(as the sentinels or the cluster report it, polled every 50 ms). A read is stale when it showed an older value",
    `than one acknowledged before it began; "after it" counts those begun ${HEALED_WITHIN_MS} ms or more after the window.`,
    `Lost writes: acknowledged values PostgreSQL does not hold; stale at end: views (${HOT_PRODUCTS} hot products on`,
    "each Shop, their list page, the tracked orders) that disagree with PostgreSQL once the load stopped.",
    "Sentinel down-after-milliseconds 1000, Cluster node timeout 1000. The machine may be shared with other work.",
    "",
    ...head,
    ...lines,
    "",
  ].join("\n");
}

/** The three failovers, each under load against service processes; the table goes to `out`/failover.md. */
export async function runFailoverBench(opts: { seconds: number; quick: boolean; out: string }): Promise<void> {
  const tl: Timeline = { warmMs: opts.quick ? 1500 : 3000, afterMs: opts.seconds * 1000 };
  const startedAt = new Date().toISOString();
  // A ledger per rig: each rig has a fresh database, whose prices start again from the seed.
  log("  Sentinel...");
  const rows = await sentinelRows(new Ledger(), tl);
  log("  Cluster...");
  rows.push(...(await clusterRows(new Ledger(), tl)));
  const text = table(rows, tl, startedAt);
  await writeFile(join(opts.out, "failover.md"), text);
  process.stdout.write(`\n${text}\n`);
}
