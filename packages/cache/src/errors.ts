/** The loader ran past its hard timeout; its result, if it ever comes, is dropped. */
export class LoaderTimeoutError extends Error {
  constructor(key: string, ms: number) {
    super(`loader for '${key}' did not finish within ${ms} ms`);
    this.name = "LoaderTimeoutError";
  }
}

/** L2 could not be reached (circuit open, timeout, connection lost); the invalidation is kept for replay. */
export class CacheUnavailableError extends Error {
  constructor(operation: string, cause?: unknown) {
    super(`cache L2 unavailable during ${operation}`, { cause });
    this.name = "CacheUnavailableError";
  }
}

/** Internal: the breaker refused the call. */
export class BypassedError extends Error {
  constructor() {
    super("L2 bypassed: circuit open");
    this.name = "BypassedError";
  }
}
