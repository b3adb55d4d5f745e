/** The stable codes of the cache's errors, for callers that map them (logs, HTTP answers). */
export type CacheErrorCode = "loader_timeout" | "cache_unavailable" | "cache_bypassed";

/** Every error the cache raises itself: a stable `code` beside the message. */
export class CacheError extends Error {
  constructor(
    readonly code: CacheErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CacheError";
  }
}

/** The loader ran past its hard timeout; its result, if it ever comes, is dropped. */
export class LoaderTimeoutError extends CacheError {
  constructor(key: string, ms: number) {
    super("loader_timeout", `loader for '${key}' did not finish within ${ms} ms`);
    this.name = "LoaderTimeoutError";
  }
}

/** L2 could not be reached (circuit open, timeout, connection lost); the invalidation is kept for replay. */
export class CacheUnavailableError extends CacheError {
  constructor(operation: string, cause?: unknown) {
    super("cache_unavailable", `cache L2 unavailable during ${operation}`, { cause });
    this.name = "CacheUnavailableError";
  }
}

/** Internal: the breaker refused the call. */
export class BypassedError extends CacheError {
  constructor() {
    super("cache_bypassed", "L2 bypassed: circuit open");
    this.name = "BypassedError";
  }
}
