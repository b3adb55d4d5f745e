import type { CacheResult } from "@printfab/cache";
import { AppError, cacheStatus } from "@printfab/platform";
import type { FastifyReply, FastifyRequest } from "fastify";
import { ifRangeHolds, parseRange, type RangeRequest } from "./byte-range.ts";
import type { ModelFile, ModelFileReads } from "./model-file-reads.ts";

/**
 * `/products/:id/model` names whichever model the product has now, and a PATCH can change it: the URL is
 * not content-stable, so nobody downstream may reuse an answer without asking. Asking is cheap: the ETag
 * is the file's content hash, and an unchanged model is a 304 without a byte of the file.
 */
export const MODEL_CACHE_CONTROL = "public, max-age=0, must-revalidate";

const CONTENT_TYPES: Record<NonNullable<ModelFile["format"]>, string> = {
  stl: "model/stl",
  obj: "model/obj",
  "3mf": "model/3mf",
};

/** A file name that is plain ASCII whatever the product is called: no quote, slash or control character. */
export function downloadName(file: Pick<ModelFile, "productId" | "productName" | "format">): string {
  const slug = file.productName
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "")
    .toLowerCase();
  return `${slug || "model"}-${file.productId}.${file.format ?? "bin"}`;
}

const notModified = (request: FastifyRequest, etag: string) =>
  request.headers["if-none-match"]?.split(",").some((t) => {
    const tag = t.trim();
    return tag === "*" || tag.replace(/^W\//, "") === etag;
  }) ?? false;

/** The range to send: If-None-Match first (RFC 9110, 13.2.2), then If-Range, then Range. */
function rangeOf(request: FastifyRequest, file: ModelFile): RangeRequest {
  if (!ifRangeHolds(request.headers["if-range"], file.etag)) return { kind: "full" };
  return parseRange(request.headers.range, file.size);
}

/**
 * Sends a model file: 304 when the client has it, else 200 or 206 for one range (416 past the end), from
 * the cached bytes or streamed from the store. HEAD opens no stream. Every failure (416, the store's 503,
 * a file gone missing) is thrown before a header is set, so the error answer is plain JSON. Returns the
 * reply, which an async handler must return: a stream is still being sent when the handler's promise settles.
 */
export async function sendModelFile(
  request: FastifyRequest,
  reply: FastifyReply,
  r: CacheResult<ModelFile>,
  files: ModelFileReads,
): Promise<FastifyReply> {
  const file = r.value;
  const unchanged = notModified(request, file.etag);
  const wanted = unchanged ? ({ kind: "full" } as const) : rangeOf(request, file);
  if (wanted.kind === "unsatisfiable") {
    reply.header("content-range", `bytes */${file.size}`);
    throw new AppError(416, "range_not_satisfiable", `the model file has ${file.size} bytes`);
  }
  const { start, end } = wanted.kind === "partial" ? wanted.range : { start: 0, end: file.size - 1 };
  const streamed =
    unchanged || request.method === "HEAD" || file.bytes
      ? null
      : await files.stream(file, wanted.kind === "partial" ? wanted.range : undefined);

  reply.header("cache-status", cacheStatus("shop", r));
  reply.header("cache-control", MODEL_CACHE_CONTROL);
  reply.header("etag", file.etag);
  reply.header("accept-ranges", "bytes");
  if (unchanged) return reply.status(304).send();
  reply.header("content-type", file.format ? CONTENT_TYPES[file.format] : "application/octet-stream");
  reply.header("content-disposition", `attachment; filename="${downloadName(file)}"`);
  reply.header("x-content-type-options", "nosniff");
  reply.header("content-length", String(end - start + 1));
  if (wanted.kind === "partial") reply.status(206).header("content-range", `bytes ${start}-${end}/${file.size}`);
  if (request.method === "HEAD") return reply.send();
  return reply.send(streamed ?? file.bytes?.subarray(start, end + 1));
}
