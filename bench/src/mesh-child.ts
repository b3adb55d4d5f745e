// One measurement of the mesh benchmark, in a fresh process so its timings are cold and its peak memory its own.
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { contentHash, contentHashAsync, measure, measureBasic, parseStl, renderPreview } from "@printfab/mesh";

export interface ChildResult {
  ms: number;
  /** The process's maximum RSS above its RSS before reading the file. */
  peakOverBaseline: number;
  fileBytes: number;
  /** CPU time of the process over the step, its compiler and GC threads included. */
  cpuMs: number;
  /** For the hashing steps: the event loop's longest delay while hashing, in ms (`ms` is the hashing's own time). */
  blockMs?: number;
}

interface LoopBlock {
  blockMs: number;
  workMs: number;
}

/**
 * The longest the event loop was held while `work` ran, by a 1 ms timer's lateness, and how long the work
 * took. The monitor runs a while before, so that it has a previous tick to measure the first delay from
 * (its reset() would drop it), and nothing else runs meanwhile in this process.
 */
async function longestBlock(work: () => unknown): Promise<LoopBlock> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  await work();
  const workMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 5));
  delay.disable();
  return { blockMs: delay.max / 1e6, workMs };
}

const isLoopBlock = (value: unknown): value is LoopBlock =>
  typeof value === "object" && value !== null && "blockMs" in value;

/** Each step's untimed preparation, which returns the timed part. */
const steps: Record<string, (bytes: Buffer) => Promise<() => unknown>> = {
  three: async (bytes) => {
    const { STLLoader } = await import("three/examples/jsm/loaders/STLLoader.js");
    // STLLoader takes an ArrayBuffer; the copy, when one is needed, is not part of parsing.
    const buffer = bytes.buffer as ArrayBuffer;
    const whole = bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength;
    const data = whole ? buffer : buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    return () => new STLLoader().parse(data);
  },
  // How this benchmark timed three before: loading the module and copying the file inside the timing.
  "three-as-before": async (bytes) => async () => {
    const { STLLoader } = await import("three/examples/jsm/loaders/STLLoader.js");
    new STLLoader().parse((bytes.buffer as ArrayBuffer).slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  },
  basic: async (bytes) => () => measureBasic(parseStl(bytes)),
  full: async (bytes) => () => measure(parseStl(bytes)),
  "parse-preview": async (bytes) => () => renderPreview(parseStl(bytes), 256),
  preview: async (bytes) => {
    const mesh = parseStl(bytes);
    return () => renderPreview(mesh, 256);
  },
  "hash-sync": async (bytes) => () => longestBlock(() => contentHash(bytes)),
  "hash-async": async (bytes) => () => longestBlock(() => contentHashAsync(bytes)),
  // The same wait with nothing to do: what the machine itself adds to the longest block.
  "idle-loop": async () => () => longestBlock(() => new Promise((resolve) => setTimeout(resolve, 100))),
};

const [file, what] = process.argv.slice(2) as [string, string];
const step = steps[what];
if (!step) throw new Error(`unknown step '${what}'`);
const baseline = process.memoryUsage().rss;
const bytes = readFileSync(file);
const timed = await step(bytes);
const cpu = process.cpuUsage();
const started = performance.now();
const value = await timed();
const ms = performance.now() - started;
const { user, system } = process.cpuUsage(cpu);
const peak = process.resourceUsage().maxRSS * 1024;
const block = isLoopBlock(value) ? value : undefined;
const result: ChildResult = {
  ms: block?.workMs ?? ms,
  cpuMs: (user + system) / 1000,
  peakOverBaseline: peak - baseline,
  fileBytes: bytes.length,
  blockMs: block?.blockMs,
};
process.stdout.write(JSON.stringify(result));
