import { sleep } from "./waiting.ts";

/** One view of a value, e.g. a product's price on one Shop's product page; undefined when not answered. */
export interface View {
  name: string;
  read(): Promise<number | undefined>;
}

export interface Read {
  view: string;
  /** When the read began (performance.now()). */
  startedAt: number;
  value: number | undefined;
}

/**
 * Reads every view over and over, each in a loop of its own, and keeps what each read saw and when it
 * began: a stale read is judged by its start (a read that began after a change must see it).
 */
export class FreshnessProbe {
  readonly reads: Read[] = [];
  #running = true;
  readonly #loops: Promise<void>[];

  constructor(views: View[], pauseMs = 5) {
    this.#loops = views.map(async (v) => {
      while (this.#running) {
        const startedAt = performance.now();
        const value = await v.read().catch(() => undefined);
        this.reads.push({ view: v.name, startedAt, value });
        await sleep(pauseMs);
      }
    });
  }

  async stop(): Promise<Read[]> {
    this.#running = false;
    await Promise.all(this.#loops);
    return this.reads;
  }
}

/** Reads that began at or after `from` and did not see `expected` (unanswered ones count too). */
export const staleSince = (reads: Read[], from: number, expected: number) =>
  reads.filter((r) => r.startedAt >= from && r.value !== expected);

/** A one-line account of the stale reads after `from`, relative to `origin`, for the test's output. */
export function describeStale(reads: Read[], from: number, origin: number, expected: number): string {
  const stale = staleSince(reads, from, expected);
  const last = stale.at(-1);
  const views = [...new Set(stale.map((r) => r.view))].join(", ");
  return `${stale.length} of ${reads.filter((r) => r.startedAt >= from).length} reads stale${
    last ? `, the last one began ${(last.startedAt - origin).toFixed(0)} ms after (${views})` : ""
  }`;
}
