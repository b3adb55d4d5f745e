import { createReadStream } from "node:fs";
import type { Cache } from "@printfab/cache";
import { CACHE_PREFIX, type SliceResult } from "@printfab/contracts";
import type { CacheFactory } from "@printfab/platform";
import type { ObjectStore } from "@printfab/storage";

/** Where one slice lives: model hash + profile hash + slicer version, in the cache and the object store. */
export interface SliceKey {
  modelSha256: string;
  profileHash: string;
  slicerVersion: string;
  /** The figures' cache key. */
  cacheKey: string;
  gcodeKey: string;
  /** The result (figures and all) beside the G-code, so a flushed cache costs a GET, not a slicing. */
  resultKey: string;
}

export function sliceKey(modelSha256: string, profileHash: string, slicerVersion: string): SliceKey {
  const base = `slices/${modelSha256}/${profileHash}/${slicerVersion}`;
  return {
    modelSha256,
    profileHash,
    slicerVersion,
    cacheKey: `slice:${modelSha256}:${profileHash}:${slicerVersion}`,
    gcodeKey: `${base}.gcode`,
    resultKey: `${base}.json`,
  };
}

export interface SliceStoreTtls {
  /** How long figures stay in the cache (content-addressed: they never change). */
  ttlMs: number;
  /** How long "not sliced yet" is remembered; a finished slice replaces it at once, everywhere. */
  missingTtlMs: number;
}

/**
 * Slices at both levels: the figures in the cache, the G-code and the result in the object store, all
 * keyed by content. A lookup that hits the cache costs no object-store request.
 */
export class SliceStore {
  private constructor(
    private readonly cache: Cache,
    private readonly objects: ObjectStore,
    private readonly ttls: SliceStoreTtls,
  ) {}

  static async create(factory: CacheFactory, objects: ObjectStore, ttls: SliceStoreTtls): Promise<SliceStore> {
    return new SliceStore(
      await factory.create("mes_slices", CACHE_PREFIX.mesModels, { contentAddressed: true }),
      objects,
      ttls,
    );
  }

  /** The slice's result if it exists: from the cache, else from the object store (then cached). */
  async lookup(key: SliceKey): Promise<SliceResult | null> {
    return this.cache.getOrLoad(key.cacheKey, () => this.readStored(key), {
      ttl: this.ttls.ttlMs,
      negativeTtl: this.ttls.missingTtlMs,
    });
  }

  /** The result in the object store, past the cache (what a new lease holder checks first). */
  async readStored(key: SliceKey): Promise<SliceResult | null> {
    const bytes = await this.objects.get(key.resultKey);
    return bytes ? (JSON.parse(bytes.toString("utf8")) as SliceResult) : null;
  }

  /** Stores a finished slice in the object store: the G-code, then its result (the cache is `remember`'s). */
  async save(key: SliceKey, gcodePath: string, result: SliceResult): Promise<void> {
    await this.objects.put(key.gcodeKey, createReadStream(gcodePath), {
      contentType: "text/x.gcode",
      contentLength: result.gcodeBytes,
    });
    await this.objects.put(key.resultKey, Buffer.from(JSON.stringify(result)), { contentType: "application/json" });
  }

  /** Puts a result in the cache, replacing a remembered "not sliced yet" in every instance. */
  async remember(key: SliceKey, result: SliceResult): Promise<void> {
    await this.cache.set(key.cacheKey, result, { ttl: this.ttls.ttlMs });
  }
}
