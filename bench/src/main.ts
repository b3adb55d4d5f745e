import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runAttacksCli } from "./attacks/cli.ts";
import { runAuditCostBench } from "./audit-cost/audit-cost-bench.ts";
import { runCacheBench } from "./cache-bench.ts";
import { runEventsBench } from "./events/events-bench.ts";
import { runFailoverBench } from "./failover/failover-bench.ts";
import { runFaultsBench } from "./faults/faults-bench.ts";
import { runMeshBench } from "./mesh-bench.ts";
import { runScaleBench } from "./scale/scale-bench.ts";
import { runSlicingBench } from "./slicing/slicing-bench.ts";
import { PARTS, type Part, runSystemBench } from "./system/system-bench.ts";

const HELP = `Printfab benchmarks.

Usage: npm run bench [-- <suite>] [--seconds N] [--quick] [--out DIR] [system options]

Suites:
  system  (the default) the whole system, CACHE=off and on side by side: catalogue, order tracking,
          spike, cold start, quotes, and the strategy table. Needs PostgreSQL (BENCH_DATABASE_URL,
          default postgres://postgres@127.0.0.1:5432/printfab_bench, created if missing) and Redis
          (REDIS_URL, default redis://127.0.0.1:6379). --quick: a smaller data set and shorter runs.
          The catalogue runs in alternating rounds (off, on, on with TRACING=on and nothing exported, on
          with the consistency auditor's sampling off, and a bare Fastify serving the same bytes: the
          limit), after a warm step on the cache-on Shop (services/launcher/src/warm-cli.ts).
            --scenarios a,b     only these, of ${PARTS.join(", ")}
            --rounds N          catalogue rounds, medians of which the report gives (default 3, at least 3)
            --warm-products N   products the warm step loads (default the whole catalogue, a list page at a time)
            --no-warm           no warm step: the rounds start with a cold cache
  cache   the cache engine against lru-cache, raw ioredis, BentoCache and cache-manager on one Redis
          (REDIS_URL, default redis://127.0.0.1:6379; its database is flushed), in --rounds N
          alternating rounds of --seconds N per row
  mesh    a generated 1,000,000-triangle STL: parse, measure, preview, beside three's STLLoader
  attacks hostile requests against a running system on 127.0.0.1: a Markdown table of what each got
          (its own options: npm run bench -- attacks --help)
  faults  Redis frozen and killed, a half-open bus, PostgreSQL and S3 hung, a SIGTERM, each under load on
          processes over a private database (TEST_POSTGRES_URL's server), s3rver and redis-server: errors,
          stale reads, lost writes, recovery. --quick: shorter scenarios
  failover Redis failovers under load on service processes: SENTINEL FAILOVER, kill -9 of the Sentinel
          master, kill -9 of the Cluster master of a hot key's slot: errors, failover window, stale reads
          after it, lost writes. --seconds N of load after each new master (default 5), --quick
  events  order status by push: 1,000 SSE streams on two Shop processes, waves of status changes on MES;
          latency from a change's acknowledgement to its arrival on every stream, DB queries per change
          with 1 vs 1,000 streams. --streams N (default 1000)
  scale   1, 2 and 4 Shop processes behind HAProxy (deploy/haproxy/haproxy.cfg) over the system bench's
          database: req/s, p99, DB queries/s, a cold key's cost across instances, bus propagation.
          --seconds N of catalogue load per instance count, in 12 s rounds (default 36; --quick 12)

  audit-cost the consistency auditor's cost on the catalogue: four Shops side by side under the same
          load (sampling off, off again as a control, the default rates, 100x the default read rate), the
          CPU time per request of each, in --rounds N rounds (default 8, a multiple of 4) of --seconds N
          (default 20) with the Shops' places rotated; over a database of its own (BENCH_DATABASE_URL's
          name + _audit) and REDIS_URL
  slicing the demo models sliced by PrusaSlicer through MES, cold and then cached: time per model, S3 GETs
          per cached request, the heuristic's print time against the slicer's (REDIS_URL as for cache)

Reports go to bench/reports/<suite>.md (--out DIR: to DIR instead, e.g. for a trial run), raw figures to
bench/results/.
`;

// The attack table has options of its own (targets, tokens), so it reads its own arguments.
if (process.argv[2] === "attacks") process.exit(await runAttacksCli(process.argv.slice(3)));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: "string" },
    quick: { type: "boolean" },
    scenarios: { type: "string" },
    rounds: { type: "string" },
    "warm-products": { type: "string" },
    "no-warm": { type: "boolean" },
    out: { type: "string" },
    streams: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
const suite = positionals[0] ?? "system";
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const seconds = values.seconds ? Number(values.seconds) : values.quick ? 1 : 3;
if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
  process.stderr.write("--seconds must be a number from 0 to 600\n");
  process.exit(2);
}
const fail = (message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(2);
};
const parts = values.scenarios?.split(",").map((p) => p.trim());
const unknown = parts?.filter((p) => !(PARTS as readonly string[]).includes(p));
if (unknown?.length) fail(`--scenarios: unknown ${unknown.join(", ")} (choose among ${PARTS.join(", ")})`);
const rounds = Number(values.rounds ?? 3);
// Fewer than three rounds make a median that is no better than one run.
if (!Number.isInteger(rounds) || rounds < 3 || rounds > 20) fail("--rounds must be a whole number from 3 to 20");
const warmProducts = values["no-warm"] ? 0 : values["warm-products"] ? Number(values["warm-products"]) : undefined;
if (warmProducts !== undefined && !(Number.isInteger(warmProducts) && warmProducts >= 0))
  fail("--warm-products must be a whole number");
const out = values.out ?? fileURLToPath(new URL("../reports", import.meta.url));
await mkdir(out, { recursive: true });
await mkdir(fileURLToPath(new URL("../results", import.meta.url)), { recursive: true });
switch (suite) {
  case "cache":
    await runCacheBench({ redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", seconds, rounds, out });
    break;
  case "system":
    await runSystemBench({
      quick: values.quick ?? false,
      out,
      resultsDir: fileURLToPath(new URL("../results", import.meta.url)),
      parts: parts as Part[] | undefined,
      rounds,
      warmProducts,
    });
    break;
  case "mesh":
    await runMeshBench({ repeats: values.quick ? 1 : 3, out });
    break;
  case "faults":
    await runFaultsBench({
      quick: values.quick ?? false,
      out,
      resultsDir: fileURLToPath(new URL("../results", import.meta.url)),
    });
    break;
  case "failover":
    await runFailoverBench({ seconds: Number(values.seconds ?? 5), quick: values.quick ?? false, out });
    break;
  case "events":
    await runEventsBench({ streams: Number(values.streams ?? 1000), shops: 2, out });
    break;
  case "audit-cost":
    // Each subject takes each of the four places as often as the others.
    if (values.rounds && rounds % 4 !== 0) fail("--rounds must be a multiple of 4 for audit-cost");
    await runAuditCostBench({
      rounds: values.rounds ? rounds : 8,
      seconds: values.seconds ? seconds : 20,
      out,
      resultsDir: fileURLToPath(new URL("../results", import.meta.url)),
    });
    break;
  case "slicing":
    await runSlicingBench({ redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", repeats: 20, out });
    break;
  case "scale":
    await runScaleBench({
      seconds: Number(values.seconds ?? (values.quick ? 12 : 36)),
      quick: values.quick ?? false,
      out,
    });
    break;
  default:
    process.stderr.write(`unknown suite '${suite}'\n${HELP}`);
    process.exit(2);
}
