import { createHash } from "node:crypto";
import { type Measurements, measure } from "./measure.ts";
import type { MeshFormat } from "./mesh.ts";
import { detectFormat, type ParseLimits, parseMesh } from "./parse.ts";
import { renderPreview } from "./preview.ts";
import { type PricingOptions, priceModel, type Quote } from "./pricing.ts";

/** The content address of a model: results keyed by it are never stale. */
export const contentHash = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** Bytes hashed between two turns of the event loop: half a millisecond of SHA-256 at about 1 GB/s. */
const HASH_SLICE = 512 * 1024;

/**
 * `contentHash` for the event loop: a 50 MB upload hashed in one call blocks it for about 80 ms, so the
 * bytes are hashed a slice at a time, yielding to other callbacks (setImmediate) between slices. Hashing
 * in the mesh workers would spare the loop entirely, but it would queue behind analyses and count
 * against their bounded lanes, and a route only wants a cache key.
 */
export async function contentHashAsync(bytes: Uint8Array): Promise<string> {
  const hash = createHash("sha256");
  for (let at = 0; at < bytes.length; at += HASH_SLICE) {
    if (at > 0) await new Promise((resolve) => setImmediate(resolve));
    hash.update(bytes.subarray(at, at + HASH_SLICE));
  }
  return hash.digest("hex");
}

export interface Analysis {
  format: MeshFormat;
  sha256: string;
  measurements: Measurements;
}

/** Parse and measure: a pure function of the bytes. */
export function analyzeModel(bytes: Uint8Array, limits?: ParseLimits): Analysis {
  const format = detectFormat(bytes);
  const mesh = parseMesh(bytes, format, limits);
  return { format, sha256: contentHash(bytes), measurements: measure(mesh) };
}

/** Analysis and price: a pure function of the bytes and the pricing options (and PRICING's version). */
export function quoteModel(
  bytes: Uint8Array,
  options: PricingOptions,
  limits?: ParseLimits,
): Analysis & { quote: Quote } {
  const analysis = analyzeModel(bytes, limits);
  return { ...analysis, quote: priceModel(analysis.measurements, options) };
}

/** A PNG preview of the model's bytes. */
export function previewModel(bytes: Uint8Array, size?: number, limits?: ParseLimits): Buffer {
  return renderPreview(parseMesh(bytes, detectFormat(bytes), limits), size);
}
