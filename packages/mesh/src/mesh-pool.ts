import { availableParallelism } from "node:os";
import type { ResourceLimits } from "node:worker_threads";
import { Piscina } from "piscina";
import type { Analysis } from "./analyze.ts";
import { resolveLimits } from "./bounds.ts";
import { MeshBusyError, MeshDeadlineError, MeshTooLargeError, meshErrorFromWorker } from "./errors.ts";
import type { MeshTask, MeshTaskResult } from "./mesh-worker.ts";
import type { ParseLimits } from "./parse.ts";
import type { PricingOptions, Quote } from "./pricing.ts";

export interface MeshPoolOptions {
  /** Worker threads for big tasks; default: cores - 1, at least 1. */
  threads?: number;
  /** Worker threads for small tasks, besides `threads`; default 1. */
  smallThreads?: number;
  /** Files of at most this many bytes are small tasks; default 2 MB. */
  smallTaskBytes?: number;
  /** A task running longer is stopped (its worker is replaced) and refused. */
  deadlineMs?: number;
  /** Tasks waiting for a thread of their lane (small or big) beyond this are refused at once. */
  maxQueue?: number;
  /** A 3MF inflating beyond this is refused (zip bombs); default 256 MB. */
  maxUncompressedBytes?: number;
  /** A model of more triangles (after expanding 3MF components and OBJ polygons) is refused; default 5,000,000. */
  maxTriangles?: number;
  /** Each worker's heap limits (a worker past them dies alone and its task is refused); default 2 GB of old generation. */
  workerResourceLimits?: ResourceLimits;
}

/**
 * The small lane's own, tighter limits: a small file that expands past them (a 3MF of components, say) is
 * moved to the big lane, so that every task in the small lane is quick.
 */
const SMALL_LANE_LIMITS: Required<ParseLimits> = { maxTriangles: 250_000, maxUncompressedBytes: 8 * 1024 * 1024 };

/**
 * Parsing, measuring, pricing and rendering in worker threads (piscina), so one big upload does not stall
 * every other request. Two lanes, each a pool with a bounded queue: small files have threads of their own
 * and never wait behind big ones. Workers load TypeScript through tsx, as the main thread does.
 */
export class MeshPool {
  readonly #small: Lane;
  readonly #big: Lane;
  readonly #smallTaskBytes: number;
  readonly #deadlineMs: number;
  readonly #limits: Required<ParseLimits>;
  readonly #smallLimits: Required<ParseLimits>;

  constructor(options: MeshPoolOptions = {}) {
    this.#deadlineMs = options.deadlineMs ?? 20_000;
    this.#smallTaskBytes = options.smallTaskBytes ?? 2 * 1024 * 1024;
    this.#limits = resolveLimits(options);
    this.#smallLimits = {
      maxTriangles: Math.min(this.#limits.maxTriangles, SMALL_LANE_LIMITS.maxTriangles),
      maxUncompressedBytes: Math.min(this.#limits.maxUncompressedBytes, SMALL_LANE_LIMITS.maxUncompressedBytes),
    };
    const execArgv = process.execArgv.some((a) => a.includes("tsx"))
      ? process.execArgv
      : [...process.execArgv, "--import", "tsx"];
    const lane = (threads: number) => {
      const pool = new Piscina({
        filename: new URL("./mesh-worker.ts", import.meta.url).href,
        minThreads: 1,
        maxThreads: threads,
        idleTimeout: 60_000,
        execArgv,
        resourceLimits: { maxOldGenerationSizeMb: 2048, ...options.workerResourceLimits },
      });
      // A worker that dies with no task running has nobody to tell; piscina replaces it. Unheard, the
      // event would be thrown and take the process down.
      pool.on("error", () => {});
      return new Lane(pool, threads + (options.maxQueue ?? 64));
    };
    this.#small = lane(options.smallThreads ?? 1);
    this.#big = lane(options.threads ?? Math.max(1, availableParallelism() - 1));
  }

  analyze(bytes: Uint8Array): Promise<Analysis> {
    return this.#run({ kind: "analyze", bytes }) as Promise<Analysis>;
  }

  quote(bytes: Uint8Array, options: PricingOptions): Promise<Analysis & { quote: Quote }> {
    return this.#run({ kind: "quote", bytes, options }) as Promise<Analysis & { quote: Quote }>;
  }

  async preview(bytes: Uint8Array, size: number): Promise<Buffer> {
    return Buffer.from((await this.#run({ kind: "preview", bytes, size })) as Uint8Array);
  }

  /** The model's geometry alone, as binary STL: whatever else the file carries (a 3MF's slicer settings) is dropped. */
  async stl(bytes: Uint8Array): Promise<Buffer> {
    const out = (await this.#run({ kind: "stl", bytes })) as Uint8Array;
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }

  async close(): Promise<void> {
    await Promise.all([this.#small.pool.destroy(), this.#big.pool.destroy()]);
  }

  /** One deadline for the task, whichever lanes it runs in. */
  async #run(task: DistributiveOmit<MeshTask, "limits">): Promise<unknown> {
    const signal = AbortSignal.timeout(this.#deadlineMs);
    let result: MeshTaskResult | undefined;
    if (task.bytes.length <= this.#smallTaskBytes) {
      result = await this.#attempt(this.#small, { ...task, limits: this.#smallLimits }, signal);
    }
    if (!result || (!result.ok && result.code === "model_too_large")) {
      result = await this.#attempt(this.#big, { ...task, limits: this.#limits }, signal);
    }
    if (!result.ok) throw meshErrorFromWorker(result.code, result.reason);
    return result.value;
  }

  async #attempt(lane: Lane, task: MeshTask, signal: AbortSignal): Promise<MeshTaskResult> {
    try {
      return await lane.run(task, signal);
    } catch (err) {
      if (signal.aborted) throw new MeshDeadlineError(this.#deadlineMs);
      if ((err as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY") {
        throw new MeshTooLargeError("processing the model needed more memory than a worker may use");
      }
      throw err;
    }
  }
}

/**
 * A pool and its bound: tasks running or waiting beyond `capacity` are refused at once. Counted here, as
 * piscina lets tasks that carry an AbortSignal (all of ours, for the deadline) bypass its own `maxQueue`.
 */
class Lane {
  #tasks = 0;

  constructor(
    readonly pool: Piscina,
    private readonly capacity: number,
  ) {}

  async run(task: MeshTask, signal: AbortSignal): Promise<MeshTaskResult> {
    if (this.#tasks >= this.capacity) throw new MeshBusyError();
    this.#tasks++;
    try {
      return await this.pool.run(task, { signal });
    } finally {
      this.#tasks--;
    }
  }
}

/** Omit over each member of a union (the built-in Omit would merge the task kinds into one). */
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
