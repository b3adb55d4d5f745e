// Runs in a worker thread of MeshPool: the heavy, synchronous computations, off the event loop.
import { analyzeModel, previewModel, quoteModel } from "./analyze.ts";
import { MeshError, MeshTooLargeError, type WorkerErrorCode } from "./errors.ts";
import { type ParseLimits, parseMesh } from "./parse.ts";
import { toBinaryStl } from "./parse-stl.ts";
import type { PricingOptions } from "./pricing.ts";

export type MeshTask = { limits: ParseLimits } & (
  | { kind: "analyze"; bytes: Uint8Array }
  | { kind: "quote"; bytes: Uint8Array; options: PricingOptions }
  | { kind: "preview"; bytes: Uint8Array; size: number }
  | { kind: "stl"; bytes: Uint8Array }
);

/** A refusal travels back as data, its class as a code: errors lose their class crossing threads. */
export type MeshTaskResult = { ok: true; value: unknown } | { ok: false; reason: string; code: WorkerErrorCode };

export default function run(task: MeshTask): MeshTaskResult {
  try {
    switch (task.kind) {
      case "analyze":
        return { ok: true, value: analyzeModel(task.bytes, task.limits) };
      case "quote":
        return { ok: true, value: quoteModel(task.bytes, task.options, task.limits) };
      case "preview":
        return { ok: true, value: previewModel(task.bytes, task.size, task.limits) };
      case "stl":
        return { ok: true, value: toBinaryStl(parseMesh(task.bytes, undefined, task.limits)) };
    }
  } catch (err) {
    if (err instanceof MeshTooLargeError) return { ok: false, reason: err.message, code: "model_too_large" };
    // A RangeError is a preview size out of range.
    if (err instanceof MeshError || err instanceof RangeError) {
      return { ok: false, reason: err.message, code: "invalid_model" };
    }
    throw err;
  }
}
