import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cache } from "../src/cache.ts";
import { KeySpace } from "../src/keys.ts";
import { createMemoryL2, MemoryL2Store } from "../src/memory-l2.ts";
import { tick } from "./support/caches.ts";

// A database (a Map) and two processes' caches over one L2. Whatever sequence of reads, writes with
// invalidation, write-through sets and tag invalidations runs, once the bus has delivered, every read
// returns what the database holds.
const op = fc.oneof(
  fc.record({ kind: fc.constant("read" as const), proc: fc.nat(1), key: fc.nat(3) }),
  fc.record({ kind: fc.constant("write" as const), proc: fc.nat(1), key: fc.nat(3) }),
  fc.record({ kind: fc.constant("writeThrough" as const), proc: fc.nat(1), key: fc.nat(3) }),
  fc.record({ kind: fc.constant("writeTag" as const), proc: fc.nat(1), key: fc.nat(3) }),
);

describe("cache invariants against a model", () => {
  it("every read after the bus delivered matches the database", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        const store = new MemoryL2Store();
        const procs = [0, 1].map(() => new Cache({ name: "model", l2: createMemoryL2(store, new KeySpace("m")) }));
        await Promise.all(procs.map((p) => p.connect()));
        const db = new Map<number, number>();
        const tagsOf = (key: number) => [`group:${key % 2}`];
        for (const o of ops) {
          const cache = procs[o.proc] as Cache;
          const k = `item:${o.key}`;
          const load = async () => db.get(o.key) ?? 0;
          if (o.kind === "read") {
            expect(await cache.getOrLoad(k, load, { tags: tagsOf(o.key) })).toBe(db.get(o.key) ?? 0);
          } else if (o.kind === "write") {
            db.set(o.key, (db.get(o.key) ?? 0) + 1);
            await cache.invalidate([k]);
          } else if (o.kind === "writeThrough") {
            db.set(o.key, (db.get(o.key) ?? 0) + 1);
            await cache.set(k, db.get(o.key), { tags: tagsOf(o.key) });
          } else {
            for (const key of [0, 1, 2, 3].filter((x) => x % 2 === o.key % 2)) db.set(key, (db.get(key) ?? 0) + 1);
            await cache.invalidateTags(tagsOf(o.key));
          }
          await tick();
        }
      }),
      { numRuns: 200 },
    );
  });
});
