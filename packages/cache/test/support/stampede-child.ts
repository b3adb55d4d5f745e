// One of the processes of stampede.test.ts: waits for "go" on stdin, then fires 250 concurrent
// getOrLoad calls on one cold key and prints how often its loader ran.
import { createInterface } from "node:readline";
import { Cache } from "../../src/cache.ts";
import { KeySpace } from "../../src/keys.ts";
import { connectRedis, waitUntilReady } from "../../src/redis-connection.ts";
import { createRedisL2 } from "../../src/redis-l2.ts";

const [url, prefix, concurrency] = process.argv.slice(2) as [string, string, string];
const client = connectRedis({ url });
const sub = connectRedis({ url });
await Promise.all([waitUntilReady(client), waitUntilReady(sub)]);
const cache = new Cache({ name: "stampede", l2: createRedisL2(client, sub, new KeySpace(prefix)), leaseMs: 3000 });
await cache.connect();
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
await cache.close();
