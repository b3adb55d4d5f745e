import type { Readable } from "node:stream";

/** Bytes `start` to `end` of an object, both included (as in HTTP's `Range: bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectInfo {
  size: number;
  contentType: string | undefined;
  etag: string | undefined;
}

/** One interface over every object store Printfab runs on: S3-compatible servers and a local folder. */
export interface ObjectStore {
  readonly kind: "s3" | "filesystem";
  /** Writes a whole object; a stream needs its length for S3. */
  put(key: string, body: Buffer | Readable, options?: { contentType?: string; contentLength?: number }): Promise<void>;
  /** The whole object in memory, or null when it does not exist. For small objects. */
  get(key: string): Promise<Buffer | null>;
  /**
   * The object as a stream, or null when it does not exist. For large objects. With a range, only those
   * bytes: a range that ends past the object's end is cut there, one that starts past it is a
   * RangeNotSatisfiableError.
   */
  getStream(key: string, range?: ByteRange): Promise<Readable | null>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Creates the bucket or folder when missing; called at start. */
  ensureReady(): Promise<void>;
  /** Throws when the store cannot be reached (health checks). */
  check(): Promise<void>;
}

/**
 * Keys are relative paths of safe characters with no `.` or `..` segment, at most 512 bytes. A string,
 * so that route schemas can use the very same rule.
 */
export const OBJECT_KEY_PATTERN = "^(?!(.*/)?\\.\\.?(/|$))[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$";
export const OBJECT_KEY_MAX_LENGTH = 512;
const KEY = new RegExp(OBJECT_KEY_PATTERN);

export function assertValidKey(key: string): void {
  if (key.length > OBJECT_KEY_MAX_LENGTH || !KEY.test(key)) {
    throw new InvalidObjectKeyError(key);
  }
}

/** Throws unless the range is two non-negative integers in order (a caller's bug otherwise, never the client's). */
export function assertValidRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range ${start}-${end}`);
  }
}

/** A range that starts at or past the end of the object. */
export class RangeNotSatisfiableError extends Error {
  readonly code = "range_not_satisfiable";

  constructor(key: string, range: ByteRange) {
    super(`bytes ${range.start}-${range.end} are past the end of ${JSON.stringify(key.slice(0, 80))}`);
    this.name = "RangeNotSatisfiableError";
  }
}

/** A key that is not a plain relative path (traversal, control characters, too long). */
export class InvalidObjectKeyError extends Error {
  readonly code = "invalid_object_key";

  constructor(key: string) {
    super(`invalid object key: ${JSON.stringify(key.slice(0, 80))}`);
    this.name = "InvalidObjectKeyError";
  }
}

/**
 * The object store cannot be reached, timed out or failed (5xx, SlowDown): a 503 with `Retry-After`.
 * Its fields follow platform's structural contract (`isDependencyFailure`: `code`
 * "dependency_unavailable", `dependency`, `retryAfterSeconds`) instead of extending platform's class, so
 * storage keeps no dependency on platform while `toErrorResponse` still answers it properly.
 */
export class ObjectStoreUnavailableError extends Error {
  readonly statusCode = 503;
  readonly code = "dependency_unavailable";
  readonly dependency = "object_store";

  constructor(
    cause: unknown,
    readonly retryAfterSeconds = 5,
  ) {
    super("the object store is unavailable", { cause });
    this.name = "ObjectStoreUnavailableError";
  }
}
