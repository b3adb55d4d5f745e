import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectNoSlotErrors,
  REDIS_KINDS,
  type RedisKind,
  type RedisTarget,
  startRedisTarget,
} from "./support/redis-targets.ts";

const child = fileURLToPath(new URL("./support/stampede-child.ts", import.meta.url));

for (const kind of REDIS_KINDS) describe(`stampede protection across processes on Redis ${kind}`, () => stampede(kind));

function stampede(kind: RedisKind) {
  let redis: RedisTarget;
  beforeAll(async () => {
    redis = await startRedisTarget(kind);
  }, 30_000);
  afterAll(() => redis.stop());

  it("4 processes x 250 concurrent misses on one cold key run the loader once", async () => {
    const at = JSON.stringify(redis.connection);
    const procs = Array.from({ length: 4 }, () =>
      spawn(process.execPath, ["--import", "tsx", child, at, "stampede", "250"], {
        stdio: ["pipe", "pipe", "inherit"],
      }),
    );
    const outputs = procs.map((p) => {
      let out = "";
      p.stdout.on("data", (d) => {
        out += d;
      });
      return {
        ready: new Promise<void>((r) => {
          const check = () => (out.includes("ready") ? r() : setTimeout(check, 20));
          check();
        }),
        result: new Promise<{ loads: number; ok: boolean }>((r) =>
          p.on("exit", () => r(JSON.parse(out.trim().split("\n").at(-1) as string))),
        ),
      };
    });
    await Promise.all(outputs.map((o) => o.ready));
    for (const p of procs) p.stdin.end("go\n");
    const results = await Promise.all(outputs.map((o) => o.result));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.reduce((s, r) => s + r.loads, 0)).toBe(1);
  }, 60_000);

  expectNoSlotErrors(() => redis);
}
