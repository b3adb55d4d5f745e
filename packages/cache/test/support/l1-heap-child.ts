// Run by l1-memory.test.ts as `node --expose-gc --import tsx l1-heap-child.ts <keys> <budgetMB>`: fills an
// L1-only cache with random-key misses (half not found, as a scan of made-up ids would be), and prints the
// heap before and after, and the cost of an L1 hit with decoded values against decoding on every hit.
import { Cache } from "../../src/cache.ts";
import { seededRandom } from "./random.ts";

const gc = (globalThis as { gc?: () => void }).gc;
const heapMB = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1048576;
};
const [n = 400_000, budgetMB = 64] = process.argv.slice(2).map(Number);
const random = seededRandom(42);
const product = (id: number) => ({ id, name: `Gear ${id}`, priceCents: 1999 + id, description: "x".repeat(200) });

const cache = new Cache({
  name: "heap",
  l1MaxBytes: budgetMB * 1048576,
  defaults: { ttl: 600_000, negativeTtl: 600_000 },
});
const before = heapMB();
for (let i = 0; i < n; i++) {
  const id = Math.floor(random() * 1e12);
  await cache.getOrLoad(`product:${id}`, async () => (id % 2 === 0 ? null : product(id)));
}
const after = heapMB();
const usage = cache.l1Usage ?? { entries: 0, bytes: 0 };

// The hit path: decoded values (what L1 holds) against bytes decoded on every hit.
const hot = new Cache({ name: "hot", defaults: { ttl: 600_000 } });
for (let i = 0; i < 1000; i++) await hot.getOrLoad(`k${i}`, async () => product(i));
const opsPerSec = async (op: (i: number) => Promise<unknown>) => {
  const end = performance.now() + 1000;
  let ops = 0;
  while (performance.now() < end) for (let j = 0; j < 1000; j++) await op(ops++ % 1000);
  return Math.round(ops);
};
const decoded = await opsPerSec((i) => hot.getOrLoad(`k${i}`, async () => null));
const bytes = new Map(Array.from({ length: 1000 }, (_, i) => [`k${i}`, Buffer.from(JSON.stringify(product(i)))]));
const decodeOnHit = await opsPerSec(async (i) => JSON.parse((bytes.get(`k${i}`) as Buffer).toString()));
process.stdout.write(
  `${JSON.stringify({ keys: n, budgetMB, heapBeforeMB: before, heapAfterMB: after, entries: usage.entries, countedMB: usage.bytes / 1048576, exposedGc: !!gc, l1HitsPerSec: decoded, decodeOnHitPerSec: decodeOnHit })}\n`,
);
