import { execFileSync } from "node:child_process";
import { createAuth } from "@printfab/platform";
import { audit } from "./audit.ts";
import { AUDIT_SETTLE_MS, auditorBetween, scrapeServices, writeViolationsBy } from "./auditor-figures.ts";
import { LoadClient } from "./client.ts";
import { type Fault, faultList } from "./fault-list.ts";
import { Ledger } from "./ledger.ts";
import type { MixTargets } from "./read-mix.ts";
import { auditorText, type FaultRow, type FaultsResults, writeFaultsReport } from "./report.ts";
import { type Rig, SECRET, startRig } from "./rig.ts";
import { summarize } from "./summary.ts";
import { Workload } from "./workload.ts";

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Says clearly what is missing, instead of failing half-way. */
function checkPrerequisites() {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error("redis-server is not on PATH: the faults benchmark freezes and kills a private one");
  }
}

/** The load's targets on a rig: both Shops, the CRM, MES, the tracked orders, and signed tokens. */
export function targetsOf(rig: Rig): MixTargets {
  const auth = createAuth(SECRET);
  const sign = (sub: string, role: "manager" | "operator" | "customer") => auth.sign({ sub, role }, 3600);
  const customers = new Map<number, string>();
  const { services: s } = rig;
  return {
    shops: [s.shopA.url, s.shopB.url],
    crm: s.crm.url,
    mes: s.mes.url,
    // A third of the created orders: enough to move forward for every scenario, hot enough to re-read.
    orders: rig.orders.slice(0, 300),
    tokens: {
      manager: sign("bench-manager", "manager"),
      operator: sign("bench-operator", "operator"),
      customer: (id) => {
        const t = customers.get(id) ?? sign(String(id), "customer");
        customers.set(id, t);
        return t;
      },
    },
  };
}

/** Waits until every service's /health says "ok" (Redis and the bus included); false after `ms`. */
export async function allHealthy(rig: Rig, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  const ok = async (url: string) =>
    fetch(`${url}/health`)
      .then((r) => r.json() as Promise<{ status: string }>)
      .then((h) => h.status === "ok")
      .catch(() => false);
  while (performance.now() < deadline) {
    if ((await Promise.all(Object.values(rig.services).map((s) => ok(s.url)))).every(Boolean)) return true;
    await sleep(200);
  }
  return false;
}

type Timeline = FaultsResults["timeline"];

/** One scenario: load, the fault at a known moment, healing, load on; then the audit against PostgreSQL. */
async function runOne(rig: Rig, fault: Fault, t: MixTargets, ledger: Ledger, tl: Timeline, readers: number) {
  const client = new LoadClient();
  const urls = Object.values(rig.services).map((s) => s.url);
  try {
    const countersBefore = await scrapeServices(urls);
    const load = new Workload(client, t, ledger, { readers, writeEveryMs: 50 });
    const ctx = { ledger, targets: t, client };
    await sleep(tl.warmMs);
    const faultAt = performance.now();
    await fault.inject(rig, ctx);
    await sleep(Math.max(0, faultAt + tl.faultMs - performance.now()));
    await fault.heal(rig, ctx);
    const healAt = performance.now();
    await sleep(tl.afterMs);
    const samples = await load.stop();
    const stoppedAt = performance.now();
    const figures = summarize(samples, faultAt, healAt);
    const recovered = await allHealthy(rig, 20_000);
    const checked = await audit(rig, ledger, client, t);
    // The auditor's last samples are judged after its delay and bound: counted once those have passed.
    await sleep(Math.max(0, stoppedAt + AUDIT_SETTLE_MS - performance.now()));
    const countersAfter = await scrapeServices(urls);
    const auditor = auditorBetween(countersBefore, countersAfter);
    const names = Object.values(rig.services).map((s) => s.name);
    const writeViolations = writeViolationsBy(names, countersBefore, countersAfter);
    const row: FaultRow = {
      fault: fault.name,
      figures,
      audit: checked,
      auditor,
      writeViolationsBy: writeViolations,
      recovered,
    };
    const poisoned = fault.poisoned?.();
    const note = fault.note?.();
    return { ...row, ...(poisoned ? { poisoned } : {}), ...(note ? { note } : {}) };
  } finally {
    await client.close();
  }
}

export async function runFaultsBench(opts: { quick: boolean; out: string; resultsDir: string }): Promise<void> {
  checkPrerequisites();
  const timeline: Timeline = opts.quick
    ? { warmMs: 1500, faultMs: 3000, afterMs: 3000 }
    : { warmMs: 3000, faultMs: 3000, afterMs: 6000 };
  const readers = opts.quick ? 8 : 16;
  const startedAt = new Date().toISOString();
  const rig = await startRig();
  const rows: FaultRow[] = [];
  try {
    const targets = targetsOf(rig);
    const ledger = new Ledger();
    if (!(await allHealthy(rig, 20_000))) throw new Error("the services are not healthy at start");
    for (const fault of faultList()) {
      log(`  ${fault.name}...`);
      const row = await runOne(rig, fault, targets, ledger, timeline, readers);
      const f = row.figures;
      log(
        `    ${f.requests} requests, ${f.errors} errors, ${f.staleReads} stale (${f.staleLate} late), ` +
          `${row.audit.lostWrites} lost, ${row.audit.staleAtEnd} stale at end, recovered in ${f.recoverMs} ms; ` +
          `auditor ${auditorText(row.auditor)}`,
      );
      rows.push(row);
    }
  } finally {
    await rig.close();
  }
  const table = await writeFaultsReport({ startedAt, quick: opts.quick, timeline, rows }, opts.out, opts.resultsDir);
  process.stdout.write(`\n${table}\n`);
}
