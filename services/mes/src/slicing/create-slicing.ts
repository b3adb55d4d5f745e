import { tmpdir } from "node:os";
import type { Analysis } from "@printfab/contracts";
import { type CacheFactory, definedOnly, type Logger } from "@printfab/platform";
import type { ObjectStore } from "@printfab/storage";
import { DEFAULT_PRINTER, type PrinterSpec } from "./printer.ts";
import { loadProfileBases, PROFILE_VERSION } from "./profile-bases.ts";
import { sweepSliceFolders } from "./slice-folders.ts";
import { DEFAULT_LEASE, localLeases, type RedisLeaseOptions, RedisSliceLeases } from "./slice-lease.ts";
import { SliceStore } from "./slice-store.ts";
import { detectSlicer, type SlicerInstall } from "./slicer-probe.ts";
import { DEFAULT_SLICING, Slicing, type SlicingOptions } from "./slicing.ts";

/** Slicing's settings; every one has a default. */
export interface SlicingSettings extends Partial<SlicingOptions> {
  /** The slicer's executable (`prusa-slicer` on the PATH); null turns slicing off. */
  binary?: string | null;
  /** A slicer already detected (tests, a process with several MES apps): skips detection. */
  install?: SlicerInstall | null;
  printer?: PrinterSpec;
  profileVersion?: number;
  lease?: RedisLeaseOptions;
  /** How long figures are cached (content-addressed: by default the analyses' TTL). */
  ttlMs?: number;
  /** How long "not sliced yet" is remembered by quotes. */
  missingTtlMs?: number;
}

export interface SlicingWiring {
  caches: CacheFactory;
  objects: ObjectStore;
  analyze: (model: Buffer) => Promise<Analysis>;
  /** A model's geometry as binary STL, with the analyses' limits (the mesh pool's `stl`). */
  geometry: (model: Buffer) => Promise<Buffer>;
  logger: Logger;
  /** The analyses' TTL, the default for figures. */
  analysisTtlMs: number;
  settings?: SlicingSettings;
}

/**
 * Slicing as configured: the slicer is looked for once, here (missing: slicing answers 503 and quotes use
 * the heuristic, nothing else changes); leases in Redis when the caches are on Redis, else in process.
 */
export async function createSlicing(w: SlicingWiring): Promise<Slicing> {
  const s = w.settings ?? {};
  const options: SlicingOptions = { ...DEFAULT_SLICING, printer: DEFAULT_PRINTER, ...definedOnly(s) };
  const slicer =
    s.install !== undefined
      ? (s.install ?? undefined)
      : s.binary === null
        ? undefined
        : await detectSlicer(s.binary ?? "prusa-slicer", options.maxGcodeBytes);
  if (slicer) {
    w.logger.info({ slicer: slicer.version, isolated: slicer.isolated }, "slicer found");
    // Folders of a process killed mid-slice (no cleanup ran). Twice the deadline: every live run is younger.
    const swept = await sweepSliceFolders(options.tmpRoot ?? tmpdir(), 2 * options.deadlineMs);
    if (swept > 0) w.logger.warn({ swept }, "removed slice folders left by a previous process");
  } else w.logger.warn("PrusaSlicer not found: quotes use the heuristic estimate and slicing is unavailable");
  const leases = w.caches.redis
    ? new RedisSliceLeases(w.caches.redis, `${w.caches.namespace}:mes:slice-lease:`, w.logger, s.lease ?? DEFAULT_LEASE)
    : localLeases;
  const store = await SliceStore.create(w.caches, w.objects, {
    ttlMs: s.ttlMs ?? w.analysisTtlMs,
    missingTtlMs: s.missingTtlMs ?? 60_000,
  });
  const bases = await loadProfileBases(s.profileVersion ?? PROFILE_VERSION);
  return new Slicing(
    { slicer, bases, store, leases, objects: w.objects, analyze: w.analyze, geometry: w.geometry, logger: w.logger },
    options,
  );
}
