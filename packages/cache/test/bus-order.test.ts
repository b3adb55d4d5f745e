import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cacheFactory } from "./support/caches.ts";
import { REDIS_KINDS, type RedisKind, type RedisTarget, startRedisTarget } from "./support/redis-targets.ts";

/**
 * A write is acknowledged once its eviction was published: a read another process begins after that must
 * not be its old L1 entry. One server delivers to its subscribers before it answers the publisher. On a
 * Cluster, classic PUBLISH reaches a subscriber on another node later, through the cluster bus; the bus's
 * sharded pub/sub (SPUBLISH on the channel's master, where every subscriber of it is) does as one server.
 */
const child = fileURLToPath(new URL("./support/bus-order-child.ts", import.meta.url));
const ROUNDS = 300;

for (const kind of REDIS_KINDS)
  describe(`Redis ${kind}: an eviction arrives before the write's acknowledgement`, () => order(kind));

function order(kind: RedisKind) {
  let redis: RedisTarget;
  let factory: ReturnType<typeof cacheFactory>;
  beforeAll(async () => {
    redis = await startRedisTarget(kind);
    factory = cacheFactory("redis", redis.connection);
  }, 30_000);
  afterEach(() => factory.closeAll());
  afterAll(() => redis?.stop());

  it(`${ROUNDS} times: the reading process's next read after \`invalidate\` resolved is not its L1 entry`, async () => {
    const reader = spawn(process.execPath, ["--import", "tsx", child, JSON.stringify(redis.connection), "order"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const lines = createInterface({ input: reader.stdout })[Symbol.asyncIterator]();
    const ask = async (line: string) => {
      reader.stdin.write(`${line}\n`);
      return String((await lines.next()).value);
    };
    try {
      expect(String((await lines.next()).value)).toBe("ready");
      const writer = await factory.make({ prefix: "order" });
      let stale = 0;
      for (let i = 0; i < ROUNDS; i++) {
        expect(await ask(`fill k${i}`)).toBe("filled");
        await writer.invalidate([`k${i}`]);
        if ((await ask(`read k${i}`)) === "l1") stale++;
      }
      console.info(`${kind}: ${stale} of ${ROUNDS} reads begun after the acknowledgement were stale`);
      expect(stale).toBe(0);
    } finally {
      reader.stdin.end();
      await new Promise((r) => reader.once("exit", r));
    }
  }, 60_000);
}
