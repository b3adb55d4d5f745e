// One of the processes of stampede.test.ts: waits for "go" on stdin, then fires 250 concurrent
// getOrLoad calls on one cold key and prints how often its loader ran. Redis is given as the JSON of the
// connection options (a URL, or a cluster's nodes).
import { createInterface } from "node:readline";
import { connectCacheBackend } from "../../src/backend.ts";

const [at, prefix, concurrency] = process.argv.slice(2) as [string, string, string];
const backend = await connectCacheBackend(JSON.parse(at));
const cache = await backend.createCache({ name: "stampede", prefix, leaseMs: 3000 });
let loads = 0;
process.stdout.write("ready\n");
const rl = createInterface({ input: process.stdin });
for await (const _ of rl) break;
const values = await Promise.all(
  Array.from({ length: Number(concurrency) }, () =>
    cache.getOrLoad("cold", async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 200));
      return { answer: 42 };
    }),
  ),
);
const ok = values.every((v) => (v as { answer: number }).answer === 42);
process.stdout.write(`${JSON.stringify({ loads, ok, collapsed: cache.stats.collapsed })}\n`);
await backend.close();
