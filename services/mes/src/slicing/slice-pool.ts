import { AppError } from "@printfab/platform";

export interface SlicePoolOptions {
  /** Slicer processes at a time. */
  processes: number;
  /** Jobs waiting for a process; beyond it a new job is refused (503). */
  queueLength: number;
  /** Jobs one client may have waiting or running; beyond it its next job is refused (429). */
  perClientQueued: number;
}

interface Waiting {
  start: () => void;
}

/**
 * A bounded pool: at most `processes` tasks run, at most `queueLength` wait, and one client holds at most
 * `perClientQueued` of either. Admission is decided when a task is submitted, synchronously, so a request
 * is refused at once rather than accepted and dropped later.
 */
export class SlicePool {
  #running = 0;
  readonly #queue: Waiting[] = [];
  readonly #perClient = new Map<string, number>();

  constructor(private readonly options: SlicePoolOptions) {}

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Runs `task` when a process is free; throws (synchronously) an AppError 429 or 503 when the client or
   * the queue is full. An abort of `signal` while it waits takes it out of the queue. A null client (MES's
   * own work, an order's items) is bounded by the queue only.
   */
  submit<T>(client: string | null, task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const mine = client === null ? 0 : (this.#perClient.get(client) ?? 0);
    if (client !== null && mine >= this.options.perClientQueued) {
      throw new AppError(
        429,
        "too_many_slices",
        `at most ${this.options.perClientQueued} slices at a time per client`,
        5,
      );
    }
    const free = this.#running < this.options.processes;
    if (!free && this.#queue.length >= this.options.queueLength) {
      throw new AppError(503, "slicer_busy", "every slicer is busy and the queue is full; retry later", 10);
    }
    if (client !== null) this.#perClient.set(client, mine + 1);
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        signal.removeEventListener("abort", onAbort);
        this.#running++;
        // The slot is free before the caller hears of the end, so it may submit again at once.
        const end = () => {
          this.#running--;
          this.#leave(client);
          this.#queue.shift()?.start();
        };
        task().then(
          (v) => {
            end();
            resolve(v);
          },
          (e) => {
            end();
            reject(e);
          },
        );
      };
      const waiting: Waiting = { start };
      const onAbort = () => {
        const i = this.#queue.indexOf(waiting);
        if (i < 0) return;
        this.#queue.splice(i, 1);
        this.#leave(client);
        reject(signal.reason);
      };
      if (free) return start();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiting);
    });
  }

  #leave(client: string | null): void {
    if (client === null) return;
    const left = (this.#perClient.get(client) ?? 1) - 1;
    if (left <= 0) this.#perClient.delete(client);
    else this.#perClient.set(client, left);
  }
}
