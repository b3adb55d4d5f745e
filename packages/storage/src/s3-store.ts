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
import { countRequest } from "./metrics.ts";
import { assertValidKey, type ObjectStore } from "./object-store.ts";

export interface S3StoreOptions {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Per-request deadline; the SDK's default is none. */
  requestTimeoutMs?: number;
}

const isNotFound = (err: unknown) =>
  err instanceof S3ServiceException &&
  (err.$metadata.httpStatusCode === 404 || err.name === "NoSuchKey" || err.name === "NotFound");

/** Any S3-compatible server (AWS, MinIO, Ceph, s3rver...), addressed path-style. */
export function createS3Store(opts: S3StoreOptions): ObjectStore {
  const client = new S3Client({
    endpoint: opts.endpoint,
    region: opts.region,
    forcePathStyle: true,
    credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
    requestHandler: { requestTimeout: opts.requestTimeoutMs ?? 10_000, connectionTimeout: 2000 },
    maxAttempts: 2,
    // The SDK's default checksums send streams aws-chunked with trailers, which many S3-compatible
    // servers store verbatim; checksums only where the API requires them keeps every server correct.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const Bucket = opts.bucket;

  const getStream = async (key: string): Promise<Readable | null> => {
    assertValidKey(key);
    countRequest("get");
    try {
      const res = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  };

  return {
    kind: "s3",
    async put(key, body, options) {
      assertValidKey(key);
      countRequest("put");
      await client.send(
        new PutObjectCommand({
          Bucket,
          Key: key,
          Body: body,
          ContentType: options?.contentType ?? "application/octet-stream",
          ContentLength: Buffer.isBuffer(body) ? body.length : options?.contentLength,
        }),
      );
    },
    async get(key) {
      const stream = await getStream(key);
      if (!stream) return null;
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    getStream,
    async head(key) {
      assertValidKey(key);
      countRequest("head");
      try {
        const res = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: res.ContentLength ?? 0, contentType: res.ContentType, etag: res.ETag };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async delete(key) {
      assertValidKey(key);
      countRequest("delete");
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    async ensureReady() {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await client.send(new CreateBucketCommand({ Bucket }));
      }
    },
    async check() {
      await client.send(new HeadBucketCommand({ Bucket }));
    },
  };
}
