import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import type { Analysis } from "./analyze.ts";
import { MeshError } from "./mesh.ts";
import type { MeshTask, MeshTaskResult } from "./mesh-worker.ts";
import type { ParseLimits } from "./parse.ts";
import type { PricingOptions, Quote } from "./pricing.ts";

export interface MeshPoolOptions {
  /** Worker threads; default: cores - 1, at least 1. */
  threads?: number;
  /** A task running longer is stopped (its worker is replaced) and refused. */
  deadlineMs?: number;
  /** Tasks waiting for a thread beyond this are refused at once. */
  maxQueue?: number;
  /** A 3MF inflating beyond this is refused (zip bombs); default 256 MB. */
  maxUncompressedBytes?: number;
}

/** A task refused because it ran past the deadline. */
export class MeshDeadlineError extends MeshError {
  constructor(ms: number) {
    super(`processing the model took longer than ${ms} ms`);
    this.name = "MeshDeadlineError";
  }
}

/** A task refused because every worker is busy and the queue is full. */
export class MeshBusyError extends Error {
  constructor() {
    super("too many models are being processed; try again shortly");
    this.name = "MeshBusyError";
  }
}

/**
 * Parsing, measuring, pricing and rendering in a small pool of worker threads (piscina), so one big upload
 * does not stall every other request. Workers load TypeScript through tsx, as the main thread does.
 */
export class MeshPool {
  readonly #pool: Piscina;
  readonly #deadlineMs: number;
  readonly #limits: ParseLimits;

  constructor(options: MeshPoolOptions = {}) {
    this.#deadlineMs = options.deadlineMs ?? 20_000;
    this.#limits = { maxUncompressedBytes: options.maxUncompressedBytes };
    const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
    const execArgv = process.execArgv.some((a) => a.includes("tsx"))
      ? process.execArgv
      : [...process.execArgv, "--import", "tsx"];
    this.#pool = new Piscina({
      filename: new URL("./mesh-worker.ts", import.meta.url).href,
      minThreads: 1,
      maxThreads: threads,
      maxQueue: options.maxQueue ?? 64,
      idleTimeout: 60_000,
      execArgv,
    });
  }

  analyze(bytes: Uint8Array): Promise<Analysis> {
    return this.#run({ kind: "analyze", bytes, limits: this.#limits }) as Promise<Analysis>;
  }

  quote(bytes: Uint8Array, options: PricingOptions): Promise<Analysis & { quote: Quote }> {
    return this.#run({ kind: "quote", bytes, options, limits: this.#limits }) as Promise<Analysis & { quote: Quote }>;
  }

  async preview(bytes: Uint8Array, size: number): Promise<Buffer> {
    return Buffer.from((await this.#run({ kind: "preview", bytes, size, limits: this.#limits })) as Uint8Array);
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }

  async #run(task: MeshTask): Promise<unknown> {
    const signal = AbortSignal.timeout(this.#deadlineMs);
    let result: MeshTaskResult;
    try {
      result = await this.#pool.run(task, { signal });
    } catch (err) {
      if (signal.aborted) throw new MeshDeadlineError(this.#deadlineMs);
      if ((err as Error).message?.includes("Task queue is at limit")) throw new MeshBusyError();
      throw err;
    }
    if (!result.ok) throw new MeshError(result.reason);
    return result.value;
  }
}
