// The reading process of bus-order.test.ts. Per line on stdin: `fill <key>` loads the key into L1 and
// answers `filled`; `read <key>` reads it and answers the layer it came from. Redis is given as the JSON of
// the connection options (a URL, or a cluster's nodes).
import { createInterface } from "node:readline";
import { Cluster } from "ioredis";
import { connectCacheBackend } from "../../src/backend.ts";
import type { RedisL2Connection } from "../../src/redis-bus.ts";

const [at, prefix] = process.argv.slice(2) as [string, string];
const backend = await connectCacheBackend(JSON.parse(at));
const cache = await backend.createCache({ name: "reader", prefix });
const { subscriber } = backend.connection as RedisL2Connection;
const load = async () => "old";

/**
 * A round trip on the connection the cache's channel is subscribed on (on a Cluster, the subscriber of
 * its slot's master: a channel whose hash tag is the cache's channel), so the read after it begins once
 * everything that node queued for this connection before was received. Node does not promise in which
 * order two sockets readable at once are read, nor Redis in which order it writes to two clients: this
 * takes both out, and leaves what the test is about, whether the eviction was queued by then.
 */
function barrier(): Promise<unknown> {
  const probe = `{${prefix}:bus}probe`;
  if (subscriber instanceof Cluster && subscriber.options.shardedSubscribers) return subscriber.ssubscribe(probe);
  return subscriber.subscribe(probe);
}

process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  const [op, key = ""] = line.split(" ");
  if (op === "fill") {
    await cache.getOrLoad(key, load);
    const again = await cache.fetch(key, load);
    process.stdout.write(again.layer === "l1" ? "filled\n" : `not in L1: ${again.layer}\n`);
  } else {
    await barrier();
    process.stdout.write(`${(await cache.fetch(key, load)).layer}\n`);
  }
}
await backend.close();
