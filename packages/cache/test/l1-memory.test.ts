import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Cache } from "../src/cache.ts";
import { L1_ENTRY_OVERHEAD } from "../src/l1-cache.ts";
import { seededRandom, until } from "./support/caches.ts";

describe("L1's budget is a bound", () => {
  it("counts what it holds, not-found entries included, and stays within its budget on random keys", async () => {
    const budget = 2 * 1024 * 1024;
    const cache = new Cache({ name: "l1", l1MaxBytes: budget, defaults: { ttl: 60_000, negativeTtl: 60_000 } });
    const random = seededRandom(7);
    for (let i = 0; i < 30_000; i++) {
      const id = Math.floor(random() * 1e9);
      await cache.getOrLoad(`item:${id}`, async () => (id % 3 === 0 ? { id, name: `n${id}`, tags: ["a", "b"] } : null));
      expect((cache.l1Usage?.bytes ?? 0) <= budget).toBe(true);
    }
    const usage = cache.l1Usage ?? { entries: 0, bytes: 0 };
    // Full, and not by a count that forgets not-found markers: each costs at least the fixed overhead.
    expect(usage.bytes).toBeGreaterThan(budget * 0.9);
    expect(usage.entries).toBeLessThan(budget / L1_ENTRY_OVERHEAD);
    await cache.close();
  });

  it("lets entries go at the end of their time, without size pressure", async () => {
    let t = 1_000_000;
    const cache = new Cache({ name: "ttl", now: () => t, defaults: { ttl: 100, negativeTtl: 100 } });
    for (let i = 0; i < 100; i++) await cache.getOrLoad(`k${i}`, async () => (i % 2 ? i : null));
    expect(cache.l1Usage?.entries).toBe(100);
    t += 101;
    // The sweep runs every second; nothing reads these keys again.
    await until(() => cache.l1Usage?.entries === 0, 5000, "the sweep");
    await cache.close();
  });

  it("measured: the heap after 400,000 random-key misses stays near the 64 MB budget", async () => {
    const child = fileURLToPath(new URL("./support/l1-heap-child.ts", import.meta.url));
    const proc = spawn(process.execPath, ["--expose-gc", "--import", "tsx", child, "400000", "64"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
    });
    await new Promise((r) => proc.on("exit", r));
    const m = JSON.parse(out.trim()) as {
      heapBeforeMB: number;
      heapAfterMB: number;
      entries: number;
      countedMB: number;
      l1HitsPerSec: number;
      decodeOnHitPerSec: number;
    };
    const grew = m.heapAfterMB - m.heapBeforeMB;
    console.info(
      `L1 heap: ${m.heapBeforeMB.toFixed(0)} -> ${m.heapAfterMB.toFixed(0)} MB after 400,000 random-key misses (budget 64 MB, counted ${m.countedMB.toFixed(1)} MB in ${m.entries} entries); L1 hits ${m.l1HitsPerSec}/s with decoded values, JSON.parse alone ${m.decodeOnHitPerSec}/s`,
    );
    expect(m.countedMB).toBeLessThanOrEqual(64);
    // The heap grows by what L1 holds, within the estimate's margin, not by 400 MB.
    expect(grew).toBeLessThan(64 * 1.25);
  }, 120_000);
});
