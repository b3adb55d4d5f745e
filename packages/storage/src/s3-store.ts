import type { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { type CountRequest, objectStoreRequests } from "./metrics.ts";
import {
  assertValidKey,
  assertValidRange,
  type ByteRange,
  type ObjectStore,
  ObjectStoreUnavailableError,
  RangeNotSatisfiableError,
} from "./object-store.ts";
import { isSocketError } from "./socket-errors.ts";

export interface S3StoreOptions {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * The longest the server may stay silent during a request before it counts as down; the SDK's default
   * is none. A silence rather than a total, so that a large object streaming slowly still completes.
   */
  requestTimeoutMs?: number;
  /** Where requests are counted (object_store_requests_total). */
  countRequest?: CountRequest;
}

const isNotFound = (err: unknown) =>
  err instanceof S3ServiceException &&
  (err.$metadata.httpStatusCode === 404 || err.name === "NoSuchKey" || err.name === "NotFound");

const isUnsatisfiable = (err: unknown) =>
  err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 416 || err.name === "InvalidRange");

/** True when the store failed rather than the request: unreachable, too slow, or a 5xx (503 SlowDown). */
function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof S3ServiceException) return (err.$metadata.httpStatusCode ?? 0) >= 500;
  // The SDK's request handler names its connect and socket timeouts TimeoutError.
  return (err as { name?: unknown } | null)?.name === "TimeoutError" || isSocketError(err);
}

/** The SDK's answer, with an outage turned into ObjectStoreUnavailableError; a 404 and the rest as they are. */
async function guard<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (err) {
    throw isStoreUnavailable(err) ? new ObjectStoreUnavailableError(err) : err;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Any S3-compatible server (AWS, MinIO, Ceph, s3rver...), addressed path-style. */
export function createS3Store(opts: S3StoreOptions): ObjectStore {
  const countRequest = opts.countRequest ?? objectStoreRequests();
  const client = new S3Client({
    endpoint: opts.endpoint,
    region: opts.region,
    forcePathStyle: true,
    credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
    // The SDK's `requestTimeout` only logs a warning (unless `throwOnRequestTimeout`), and a total
    // would cut slow large transfers: a hung server is caught by the socket's idle timeout instead.
    requestHandler: { socketTimeout: opts.requestTimeoutMs ?? 5_000, connectionTimeout: 2000 },
    maxAttempts: 2,
    // The SDK's default checksums send streams aws-chunked with trailers, which many S3-compatible
    // servers store verbatim; checksums only where the API requires them keeps every server correct.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const Bucket = opts.bucket;

  const getStream = async (key: string, range?: ByteRange): Promise<Readable | null> => {
    assertValidKey(key);
    if (range) assertValidRange(range);
    countRequest("get");
    const Range = range && `bytes=${range.start}-${range.end}`;
    try {
      const res = await guard(client.send(new GetObjectCommand({ Bucket, Key: key, Range })));
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return null;
      if (range && isUnsatisfiable(err)) throw new RangeNotSatisfiableError(key, range);
      throw err;
    }
  };

  return {
    kind: "s3",
    async put(key, body, options) {
      assertValidKey(key);
      countRequest("put");
      await guard(
        client.send(
          new PutObjectCommand({
            Bucket,
            Key: key,
            Body: body,
            ContentType: options?.contentType ?? "application/octet-stream",
            ContentLength: Buffer.isBuffer(body) ? body.length : options?.contentLength,
          }),
        ),
      );
    },
    async get(key) {
      const stream = await getStream(key);
      if (!stream) return null;
      // A connection lost halfway through the body is an outage too.
      return guard(readAll(stream));
    },
    getStream,
    async head(key) {
      assertValidKey(key);
      countRequest("head");
      try {
        const res = await guard(client.send(new HeadObjectCommand({ Bucket, Key: key })));
        return { size: res.ContentLength ?? 0, contentType: res.ContentType, etag: res.ETag };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async delete(key) {
      assertValidKey(key);
      countRequest("delete");
      await guard(client.send(new DeleteObjectCommand({ Bucket, Key: key })));
    },
    async ensureReady() {
      try {
        await guard(client.send(new HeadBucketCommand({ Bucket })));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await guard(client.send(new CreateBucketCommand({ Bucket })));
      }
    },
    async check() {
      await guard(client.send(new HeadBucketCommand({ Bucket })));
    },
  };
}
