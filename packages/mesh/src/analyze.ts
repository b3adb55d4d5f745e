import { createHash } from "node:crypto";
import { type Measurements, measure } from "./measure.ts";
import type { MeshFormat } from "./mesh.ts";
import { detectFormat, type ParseLimits, parseMesh } from "./parse.ts";
import { renderPreview } from "./preview.ts";
import { type PricingOptions, priceModel, type Quote } from "./pricing.ts";

/** The content address of a model: results keyed by it are never stale. */
export const contentHash = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

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
