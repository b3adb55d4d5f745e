// The measurements behind L1's cost model (l1-cache.ts): per entry, what the heap really grew by against what
// L1 counted, over key lengths, tags and value shapes. Not a test: run it by hand after changing what an
// L1 entry holds, and keep every ratio below 1:
//   node --expose-gc --import tsx packages/cache/test/support/l1-calibrate.ts
import { Cache } from "../../src/cache.ts";
import { seededRandom } from "./random.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  // Buffers' bytes live outside the V8 heap, in the process all the same.
  return m.heapUsed + m.arrayBuffers;
};
const N = 40_000;
const keep: unknown[] = [];
let seed = 1;
async function run(label: string, keyLen: number, tags: string[], make: (i: number) => unknown) {
  const r = seededRandom(seed++);
  const cache = new Cache({ name: "c", l1MaxBytes: 1e12, defaults: { ttl: 600_000, negativeTtl: 600_000, tags } });
  const before = heap();
  for (let i = 0; i < N; i++) {
    const id = String(Math.floor(r() * 1e15)).padStart(15, "0");
    const key = `k:${id}`.padEnd(keyLen, "x");
    await cache.getOrLoad(key, async () => make(i));
  }
  const after = heap();
  const u = cache.l1Usage ?? { entries: 1, bytes: 0 };
  const real = (after - before) / u.entries;
  const counted = u.bytes / u.entries;
  console.log(
    `${label.padEnd(34)} real ${real.toFixed(0).padStart(5)}  counted ${counted.toFixed(0).padStart(5)}  ratio ${(real / counted).toFixed(2)}`,
  );
  keep.push(cache);
}
const product = (i: number) => ({ id: i * 1e6, name: `Gear ${i}`, priceCents: 1999 + i, description: "x".repeat(200) });
const productList = (i: number) => ({
  page: 1,
  total: 500,
  items: Array.from({ length: 20 }, (_, j) => ({
    id: i * 20 + j,
    name: `Gear ${j}`,
    priceCents: 1999 + j,
    thumb: `/p/${j}.png`,
  })),
});
const order = (i: number) => ({
  id: i,
  status: "printing",
  customerId: i % 1000,
  items: [{ productId: i, qty: 2, priceCents: 1999 }],
  updatedAt: "2026-01-01T00:00:00Z",
});
const ints = (i: number) => Array.from({ length: 50 }, (_, j) => i + j);
const tiny = (i: number) => ({ a: i % 100 });
await run("not-found key 20", 20, [], () => null);
await run("not-found key 60", 60, [], () => null);
await run("not-found key 150", 150, [], () => null);
await run("not-found key 20, 2 tags", 20, ["products", "cat:gears"], () => null);
await run("not-found key 20, 5 tags", 20, ["a", "b", "c", "d", "e"], () => null);
await run("product (289 B json)", 20, ["products"], product);
await run("product list (1.4 KB json)", 40, ["products"], productList);
await run("order (140 B json)", 20, [], order);
await run("50 ints (290 B json)", 20, [], ints);
await run("tiny {a:n} (8 B json)", 20, [], tiny);
await run("number", 20, [], (i) => i);
await run("string 40", 20, [], (i) => `s${i}`.padEnd(40, "y"));
await run("buffer 2 KB", 20, [], () => Buffer.alloc(2048, 1));
