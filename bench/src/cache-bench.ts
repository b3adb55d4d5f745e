import { mkdir, writeFile } from "node:fs/promises";
import { Redis } from "ioredis";
import { createSubjects, IN_FLIGHT, type Scenario, type Subject } from "./cache-subjects.ts";
import { type Measurement, measureConcurrent, measureSequential, type Spread, spread, table } from "./stats.ts";

/** Each library's figure in a scenario: its ops/s per round and its ratio to the reference in that round. */
interface Row {
  subject: Subject;
  runs: Measurement[];
  ratios: number[];
}

/** What each scenario is judged against, and the target ratio. */
const REFERENCE: Record<Scenario, { library: string; target: number }> = {
  "L1 hit (sequential)": { library: "lru-cache get", target: 0 },
  "L2 hit (64 in flight)": { library: "raw ioredis GET+JSON.parse", target: 0.95 },
  "miss + fill (64 in flight)": { library: "BentoCache 1.6", target: 1 },
};

const log = (s: string) => process.stderr.write(`${s}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const range = (s: Spread, f: (n: number) => string) => `${f(s.median)} [${f(s.min)}–${f(s.max)}]`;

/**
 * Rounds alternate the libraries (the order rotates each round), so a slow moment of the machine hits
 * every library alike; each figure is the median of the rounds, with the lowest and highest.
 */
async function runRounds(subjects: Subject[], rounds: number, ms: number) {
  const rows = new Map<Subject, Row>(subjects.map((s) => [s, { subject: s, runs: [], ratios: [] }]));
  for (let round = 0; round < rounds; round++) {
    log(`round ${round + 1} of ${rounds}`);
    for (const scenario of Object.keys(REFERENCE) as Scenario[]) {
      const group = subjects.filter((s) => s.scenario === scenario);
      const order = group.map((_, i) => group[(i + round) % group.length] as Subject);
      for (const s of order) {
        const m =
          scenario === "L1 hit (sequential)"
            ? await measureSequential((i) => s.op(i, round), ms)
            : await measureConcurrent(async (i) => s.op(i, round), IN_FLIGHT, ms);
        rows.get(s)?.runs.push(m);
      }
      const ref = group.find((s) => s.library === REFERENCE[scenario].library);
      for (const s of group) {
        const mine = rows.get(s)?.runs[round]?.opsPerSec ?? 0;
        rows.get(s)?.ratios.push(mine / (rows.get(ref as Subject)?.runs[round]?.opsPerSec ?? Number.NaN));
      }
    }
  }
  return [...rows.values()];
}

export async function runCacheBench(opts: { redisUrl: string; seconds: number; rounds: number; out: string }) {
  const { rounds } = opts;
  const redis = new Redis(opts.redisUrl);
  await redis.flushdb();
  log("setting up every library (1,000 keys each)...");
  const subjects = await createSubjects(opts.redisUrl);
  const rows = await runRounds(subjects, rounds, opts.seconds * 1000);
  for (const s of subjects) await s.close();
  redis.disconnect();

  const text = table(
    ["scenario", "library", "ops/s, median [min–max]", "p50 µs", "p99 µs", "ratio to reference"],
    rows.map(({ subject: s, runs, ratios }) => [
      s.scenario,
      s.library,
      range(spread(runs.map((r) => r.opsPerSec)), (n) => fmt(n)),
      spread(runs.map((r) => r.p50Us)).median.toFixed(1),
      spread(runs.map((r) => r.p99Us)).median.toFixed(1),
      s.library === REFERENCE[s.scenario].library ? "reference" : range(spread(ratios), (n) => `${n.toFixed(2)}x`),
    ]),
  );
  const ratio = (scenario: Scenario) =>
    spread(rows.find((r) => r.subject.scenario === scenario && r.subject.library === "printfab")?.ratios ?? []);
  const l1 = ratio("L1 hit (sequential)");
  const l2 = ratio("L2 hit (64 in flight)");
  const miss = ratio("miss + fill (64 in flight)");
  const l1Ops = spread(
    rows
      .find((r) => r.subject.scenario === "L1 hit (sequential)" && r.subject.library === "printfab")
      ?.runs.map((r) => r.opsPerSec) ?? [],
  );
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  const targets = [
    `L1 hit: ${fmt(l1Ops.median)} ops/s sequential, ${l1.median.toFixed(2)}x lru-cache's own get [${l1.min.toFixed(2)}–${l1.max.toFixed(2)}] (target >= 1,000,000 ops/s): ${verdict(l1Ops.median >= 1_000_000)}`,
    `L2 hit: ${l2.median.toFixed(2)}x raw ioredis [${l2.min.toFixed(2)}–${l2.max.toFixed(2)}] (target >= 0.95x): ${verdict(l2.median >= 0.95)}`,
    `miss + fill: ${miss.median.toFixed(2)}x BentoCache [${miss.min.toFixed(2)}–${miss.max.toFixed(2)}] (target >= 1x, with the stale-fill protection kept): ${verdict(miss.median >= 1)}`,
    "printfab's miss costs two round trips once its reads mostly miss (the read that takes the lease, the fill that releases it), three while they mostly hit: packages/cache/test/round-trips.test.ts counts them with MONITOR",
  ];
  const report = `# Cache engine benchmark\n\nRun ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}, Redis at ${new URL(opts.redisUrl).host}; ${rounds} alternating rounds of ${opts.seconds} s per row; value: 1 KB JSON over 1,000 keys. Ratios are per round (each library against the reference measured in the same round), then the median with the lowest and highest.\n\n${text}\n\n${targets.map((t) => `- ${t}`).join("\n")}\n`;
  process.stdout.write(`\n${text}\n\n${targets.join("\n")}\n`);
  await mkdir(opts.out, { recursive: true });
  await writeFile(`${opts.out}/cache.md`, report);
  await writeFile(
    `${opts.out}/../results/cache-${Date.now()}.json`,
    JSON.stringify({ rows: rows.map((r) => ({ ...r.subject, runs: r.runs, ratios: r.ratios })), targets }, null, 2),
  ).catch(() => undefined);
}
