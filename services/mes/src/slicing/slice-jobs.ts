import { randomUUID } from "node:crypto";
import type { Printability, SliceJob, SliceQuery, SliceResult } from "@printfab/contracts";

export interface SliceJobsOptions {
  /** Jobs remembered; the oldest finished ones are forgotten first. */
  maxJobs: number;
  /** How long a finished job stays readable. */
  retainMs: number;
  now?: () => number;
}

interface Entry {
  job: SliceJob;
  controller: AbortController;
  finishedAt?: number;
}

/** A job's description at creation. */
export interface NewJob {
  modelSha256: string;
  options: SliceQuery;
  printability: Printability;
}

/**
 * The slicing jobs of this instance: random ids, states (queued, running, done, failed, cancelled),
 * progress and result. Finished jobs are kept for `retainMs`, at most `maxJobs` in all.
 */
export class SliceJobs {
  readonly #jobs = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(private readonly options: SliceJobsOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** A new queued job and the controller that cancels it. */
  create(job: NewJob): { id: string; signal: AbortSignal } {
    this.#sweep();
    const id = randomUUID();
    const controller = new AbortController();
    const createdAt = new Date(this.#now()).toISOString();
    this.#jobs.set(id, { job: { id, state: "queued", progress: 0, createdAt, ...job }, controller });
    return { id, signal: controller.signal };
  }

  /** Forgets a job that was refused before it began (the pool's limits). */
  discard(id: string): void {
    this.#jobs.delete(id);
  }

  get(id: string): SliceJob | undefined {
    const e = this.#jobs.get(id);
    return e && structuredClone(e.job);
  }

  running(id: string): void {
    this.#update(id, (j) => {
      if (j.state === "queued") j.state = "running";
    });
  }

  progress(id: string, progress: number): void {
    this.#update(id, (j) => {
      if (j.state === "running") j.progress = Math.max(j.progress, Math.min(0.99, progress));
    });
  }

  done(id: string, result: SliceResult): void {
    this.#finish(id, (j) => {
      j.state = "done";
      j.progress = 1;
      j.result = result;
      j.printability = { ...j.printability, warnings: result.figures.warnings };
    });
  }

  failed(id: string, error: { code: string; message: string }): void {
    this.#finish(id, (j) => {
      j.state = "failed";
      j.error = error;
    });
  }

  cancelled(id: string): void {
    this.#finish(id, (j) => {
      j.state = "cancelled";
    });
  }

  /** Cancels a job that has not finished; false when it is unknown. A finished job stays as it was. */
  cancel(id: string): boolean {
    const e = this.#jobs.get(id);
    if (!e) return false;
    if (!e.finishedAt) e.controller.abort(new Error("cancelled"));
    return true;
  }

  /** Cancels every job (the service is stopping). */
  cancelAll(): void {
    for (const e of this.#jobs.values()) if (!e.finishedAt) e.controller.abort(new Error("stopping"));
  }

  #update(id: string, change: (job: SliceJob) => void): void {
    const e = this.#jobs.get(id);
    if (e && !e.finishedAt) change(e.job);
  }

  #finish(id: string, change: (job: SliceJob) => void): void {
    const e = this.#jobs.get(id);
    if (!e || e.finishedAt) return;
    change(e.job);
    e.finishedAt = this.#now();
    e.job.finishedAt = new Date(e.finishedAt).toISOString();
  }

  /** Forgets finished jobs past their retention, then the oldest finished ones beyond the cap. */
  #sweep(): void {
    const now = this.#now();
    for (const [id, e] of this.#jobs) {
      if (e.finishedAt !== undefined && now - e.finishedAt > this.options.retainMs) this.#jobs.delete(id);
    }
    for (const [id, e] of this.#jobs) {
      if (this.#jobs.size < this.options.maxJobs) break;
      if (e.finishedAt !== undefined) this.#jobs.delete(id);
    }
  }
}
