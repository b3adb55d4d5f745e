/** One in-flight load of a key in this process; it learns of invalidations that happen while it runs. */
export interface Flight<R> {
  /** The answer callers get (may be a stale value served early on a soft timeout). */
  result: Promise<R>;
  /** Set when the key (or one of its tags, or all of L1) was invalidated while the load ran. */
  invalidated: boolean;
  tags: readonly string[];
}

/** Collapses concurrent loads of one key in one process into one, and tracks them for invalidation. */
export class SingleFlight<R> {
  readonly #flights = new Map<string, Flight<R>>();

  get(key: string): Flight<R> | undefined {
    return this.#flights.get(key);
  }

  /** Starts `run` as the flight of `key`; the flight ends when `done` (the whole load) settles. */
  start(
    key: string,
    tags: readonly string[],
    run: (flight: Flight<R>) => { result: Promise<R>; done: Promise<unknown> },
  ): Flight<R> {
    const flight: Flight<R> = { result: undefined as unknown as Promise<R>, invalidated: false, tags };
    this.#flights.set(key, flight);
    const { result, done } = run(flight);
    flight.result = result;
    const end = () => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    done.then(end, end);
    return flight;
  }

  invalidateKey(key: string): void {
    const f = this.#flights.get(key);
    if (f) f.invalidated = true;
  }

  invalidateTag(tag: string): void {
    for (const f of this.#flights.values()) if (f.tags.includes(tag)) f.invalidated = true;
  }

  invalidateAll(): void {
    for (const f of this.#flights.values()) f.invalidated = true;
  }
}
