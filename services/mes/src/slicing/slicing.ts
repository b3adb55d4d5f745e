import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { Analysis, Printability, SliceJob, SliceQuery, SliceResult } from "@printfab/contracts";
import { AppError, type Logger, notFound, unavailable, unprocessable } from "@printfab/platform";
import type { ObjectStore } from "@printfab/storage";
import { GcodeFiguresReader } from "./gcode-figures.ts";
import { OrderSliceQueue } from "./order-slices.ts";
import { type PrinterSpec, printabilityOf } from "./printer.ts";
import type { ProfileBases } from "./profile-bases.ts";
import { buildProfile, type SliceProfile } from "./profile-builder.ts";
import { SliceJobs } from "./slice-jobs.ts";
import type { SliceLeases } from "./slice-lease.ts";
import { SlicePool, type SlicePoolOptions } from "./slice-pool.ts";
import { type SliceKey, type SliceStore, sliceKey } from "./slice-store.ts";
import type { SlicerInstall } from "./slicer-probe.ts";
import { runSlicer, type SlicedFile, SlicerError } from "./slicer-runner.ts";

export interface SlicingOptions extends SlicePoolOptions {
  printer: PrinterSpec;
  /** A slice taking longer is killed and fails. */
  deadlineMs: number;
  maxOutputBytes: number;
  maxGcodeBytes: number;
  /** How often a job whose key another instance is slicing looks again. */
  waitPollMs: number;
  /** Finished jobs: how long and how many are kept for GET /slices/:id. */
  retainMs: number;
  maxJobs: number;
  /** Placed orders waiting for their items to be sliced; more are dropped (logged). */
  orderQueueLength: number;
  /** How long close() waits for killed slicers to end and their folders to go. */
  closeTimeoutMs: number;
  tmpRoot?: string;
}

export const DEFAULT_SLICING: Omit<SlicingOptions, "printer"> = {
  processes: 2,
  queueLength: 32,
  perClientQueued: 4,
  deadlineMs: 300_000,
  maxOutputBytes: 64 * 1024,
  maxGcodeBytes: 512 * 1024 * 1024,
  waitPollMs: 500,
  retainMs: 3_600_000,
  maxJobs: 10_000,
  orderQueueLength: 100,
  closeTimeoutMs: 5_000,
};

export interface SlicingDeps {
  /** The slicer found at start; undefined: slicing is unavailable (503) and quotes use the heuristic. */
  slicer: SlicerInstall | undefined;
  bases: ProfileBases;
  store: SliceStore;
  leases: SliceLeases;
  objects: ObjectStore;
  /** The (cached) analysis of a model's bytes; rejects with the HTTP error of a bad model. */
  analyze: (model: Buffer) => Promise<Analysis>;
  /** A model's geometry alone, as binary STL (off the event loop, within the analyses' limits). */
  geometry: (model: Buffer) => Promise<Buffer>;
  logger: Logger;
}

/** What to slice: an uploaded file, or a model in the object store. */
export type SliceSource = { model: Buffer } | { modelKey: string };

/** What a slice of a placed order's item needs. */
export interface OrderItemSlice extends Partial<SliceQuery> {
  modelKey: string;
}

const isCancel = (e: unknown) => e instanceof SlicerError && e.code === "slicer_cancelled";

/** The Shop stores models content-addressed (`models/<sha256>.<format>`): such a key names its hash. */
const CONTENT_KEY = /^models\/([0-9a-f]{64})\.(?:stl|obj|3mf)$/;

/**
 * Slicing jobs: printability first (a model larger than the printer is refused with the reason), then the
 * result from the cache or the object store when this model and profile were sliced before, else a job in
 * the bounded pool. A job slices once per key: in this process through a shared flight, across instances
 * through a lease; a job whose key another instance holds waits for that instance's result.
 */
export class Slicing {
  readonly jobs: SliceJobs;
  readonly #pool: SlicePool;
  readonly #flights = new Map<string, Promise<SliceResult>>();
  /** Slicer runs under way, so that close() can wait for their processes and folders to go. */
  readonly #runs = new Set<Promise<unknown>>();
  readonly #orders: OrderSliceQueue<readonly OrderItemSlice[]>;
  #closed = false;
  /** Slicer processes this instance started (tests and the bench count them). */
  runs = 0;

  constructor(
    private readonly deps: SlicingDeps,
    private readonly options: SlicingOptions,
  ) {
    this.jobs = new SliceJobs({ maxJobs: options.maxJobs, retainMs: options.retainMs });
    this.#pool = new SlicePool(options);
    this.#orders = new OrderSliceQueue((items) => this.sliceOrderItems(items), deps.logger, options.orderQueueLength);
  }

  get available(): boolean {
    return this.deps.slicer !== undefined;
  }

  get printer(): PrinterSpec {
    return this.options.printer;
  }

  /** The profile of these options on this printer (422 when the printer cannot print them). */
  profile(options: SliceQuery): SliceProfile {
    try {
      return buildProfile(this.deps.bases, options, this.options.printer);
    } catch (err) {
      throw unprocessable("unsupported_profile", (err as Error).message);
    }
  }

  /** A model's printability on the printer, without the slicer's warnings. */
  printability(analysis: Analysis, warnings: readonly string[] = []): Printability {
    return printabilityOf(analysis, this.options.printer, warnings);
  }

  /**
   * The result of a model already sliced with these options, or null; never starts a slicing. Costs a
   * cache lookup (an object-store GET the first time a key is asked, "not sliced" then remembered).
   */
  async sliced(modelSha256: string, options: SliceQuery): Promise<SliceResult | null> {
    const { slicer } = this.deps;
    if (!slicer) return null;
    let profile: SliceProfile;
    try {
      profile = buildProfile(this.deps.bases, options, this.options.printer);
    } catch {
      return null;
    }
    return this.deps.store.lookup(sliceKey(modelSha256, profile.hash, slicer.version));
  }

  /** Starts a job for `client` (null: MES's own, bounded by the queue only), or answers a finished one. */
  async request(source: SliceSource, options: SliceQuery, client: string | null): Promise<SliceJob> {
    const slicer = this.deps.slicer;
    if (!slicer)
      throw unavailable(
        "slicer_unavailable",
        "slicing is not available: PrusaSlicer is not installed on this server",
        3600,
      );
    if (this.#closed) throw unavailable("slicer_unavailable", "the service is stopping", 5);
    const model = "model" in source ? source.model : await this.#stored(source.modelKey);
    const analysis = await this.deps.analyze(model);
    const printability = this.printability(analysis);
    if (!printability.fitsPrinter) throw unprocessable("does_not_fit", printability.problems.join("; "));
    const profile = this.profile(options);
    const key = sliceKey(analysis.sha256, profile.hash, slicer.version);
    const description = { modelSha256: analysis.sha256, options, printability };
    const found = await this.deps.store.lookup(key);
    const { id, signal } = this.jobs.create(description);
    if (found) {
      this.jobs.done(id, found);
    } else {
      let task: Promise<SliceResult>;
      try {
        task = this.#pool.submit(client, () => this.#produce(id, key, { model, analysis, profile }, signal), signal);
      } catch (err) {
        this.jobs.discard(id);
        throw err;
      }
      void this.#settle(id, task, signal);
    }
    return this.jobs.get(id) as SliceJob;
  }

  /** Cancels a job; 404 when unknown. */
  cancel(id: string): SliceJob {
    if (!this.jobs.cancel(id)) throw notFound(`slice job ${id}`);
    return this.jobs.get(id) as SliceJob;
  }

  get(id: string): SliceJob {
    const job = this.jobs.get(id);
    if (!job) throw notFound(`slice job ${id}`);
    return job;
  }

  /**
   * Queues a placed order's items for slicing (see OrderSliceQueue): call it after the order committed. False
   * when the queue is full and the order is not sliced (logged).
   */
  sliceOrder(items: readonly OrderItemSlice[]): boolean {
    return this.#orders.add(items);
  }

  /** Resolves when every queued order has been handled (tests). */
  ordersIdle(): Promise<void> {
    return this.#orders.idle();
  }

  /**
   * Starts slicing an order's items, outside any client's limit (the queue's still holds): ids of the jobs
   * started. An item whose content-addressed model was already sliced with its options starts none, and its
   * model is not even read (a cache lookup); items refused (not stored, too large, queue full) are logged
   * and skipped, never thrown.
   */
  async sliceOrderItems(items: readonly OrderItemSlice[]): Promise<string[]> {
    const ids: string[] = [];
    for (const { modelKey, material = "PLA", infill = 0.2, layerHeight = 0.2 } of items) {
      if (this.#closed) break;
      const options = { material, infill, layerHeight };
      try {
        const sha = CONTENT_KEY.exec(modelKey)?.[1];
        if (sha && (await this.sliced(sha, options))) continue;
        ids.push((await this.request({ modelKey }, options, null)).id);
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message, modelKey }, "order item not sliced");
      }
    }
    return ids;
  }

  /**
   * Stops: waiting orders are forgotten, every job cancelled, and the slicers killed; waits (at most
   * `closeTimeoutMs`) for them to end and their folders to be removed, so none outlives the service.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#orders.clear();
    this.jobs.cancelAll();
    const bound = sleep(this.options.closeTimeoutMs, undefined, { ref: false });
    await Promise.race([Promise.allSettled([...this.#runs]), bound]);
  }

  async #stored(modelKey: string): Promise<Buffer> {
    const bytes = await this.deps.objects.get(modelKey);
    if (!bytes) throw unprocessable("model_not_found", `no model is stored under '${modelKey}'`);
    return bytes;
  }

  /** Records how a job ended. */
  async #settle(id: string, task: Promise<SliceResult>, signal: AbortSignal): Promise<void> {
    try {
      this.jobs.done(id, await task);
    } catch (err) {
      if (signal.aborted) return this.jobs.cancelled(id);
      if (err instanceof SlicerError || err instanceof AppError) {
        return this.jobs.failed(id, { code: err.code, message: err.message });
      }
      this.deps.logger.error({ err, job: id }, "slice job failed");
      this.jobs.failed(id, { code: "internal", message: "the slice failed; retry later" });
    }
  }

  /**
   * The key's result, sliced at most once: a flight of this process is joined; else the first to take
   * the key's lease slices and the others wait for its result (or for the lease to free, if it crashed).
   */
  async #produce(id: string, key: SliceKey, work: Work, signal: AbortSignal): Promise<SliceResult> {
    this.jobs.running(id);
    for (;;) {
      signal.throwIfAborted();
      const running = this.#flights.get(key.cacheKey);
      if (running) {
        try {
          return await running;
        } catch (err) {
          // The job that owned the flight was cancelled, not this one: try again.
          if (isCancel(err) && !signal.aborted) continue;
          throw err;
        }
      }
      const found = await this.deps.store.lookup(key);
      if (found) return found;
      const lease = await this.deps.leases.acquire(key.cacheKey);
      if (lease) {
        const flight = this.#underLease(id, key, work, signal).finally(() => lease.release());
        this.#flights.set(key.cacheKey, flight);
        try {
          return await flight;
        } finally {
          this.#flights.delete(key.cacheKey);
        }
      }
      await sleep(this.options.waitPollMs, undefined, { signal });
    }
  }

  /** Holding the lease: the result another holder stored meanwhile, else a slicing of our own. */
  async #underLease(id: string, key: SliceKey, work: Work, signal: AbortSignal): Promise<SliceResult> {
    const stored = await this.deps.store.readStored(key);
    if (stored) {
      await this.#remember(key, stored);
      return stored;
    }
    const slicer = this.deps.slicer as SlicerInstall;
    // Geometry only: what else a 3MF or OBJ carries (its own slicer settings) must not reach the slicer.
    const model = work.analysis.format === "stl" ? work.model : await this.deps.geometry(work.model);
    signal.throwIfAborted();
    this.runs++;
    const run = {
      model,
      ini: work.profile.ini,
      deadlineMs: this.options.deadlineMs,
      signal,
      onProgress: (p: number) => this.jobs.progress(id, p * 0.95),
      maxOutputBytes: this.options.maxOutputBytes,
      maxGcodeBytes: this.options.maxGcodeBytes,
      tmpRoot: this.options.tmpRoot,
    };
    const running = runSlicer(slicer, run, async (file) => {
      const result = await resultOf(file, key, work.profile);
      await this.deps.store.save(key, file.gcodePath, result);
      await this.#remember(key, result);
      return result;
    });
    this.#runs.add(running);
    try {
      return await running;
    } finally {
      this.#runs.delete(running);
    }
  }

  async #remember(key: SliceKey, result: SliceResult): Promise<void> {
    await this.deps.store.remember(key, result).catch((err: Error) => {
      this.deps.logger.warn({ err: err.message }, "slice figures not cached");
    });
  }
}

interface Work {
  model: Buffer;
  analysis: Analysis;
  profile: SliceProfile;
}

/** The figures of a finished slice, read from its G-code file line by line. */
async function resultOf(file: SlicedFile, key: SliceKey, profile: SliceProfile): Promise<SliceResult> {
  const reader = new GcodeFiguresReader();
  const lines = createInterface({ input: createReadStream(file.gcodePath), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) reader.push(line);
  let figures: SliceResult["figures"];
  try {
    figures = reader.result(file.messages);
  } catch (err) {
    throw new SlicerError("slicer_failed", (err as Error).message);
  }
  return {
    modelSha256: key.modelSha256,
    profileHash: key.profileHash,
    profileVersion: profile.version,
    slicerVersion: key.slicerVersion,
    gcodeKey: key.gcodeKey,
    gcodeBytes: file.gcodeBytes,
    figures,
  };
}
