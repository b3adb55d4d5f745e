import type { Cache, CacheResult } from "@printfab/cache";
import { type Analysis, CACHE_PREFIX, type Quote, type QuoteQuery } from "@printfab/contracts";
import { contentHashAsync, type MeshPool, PRICING } from "@printfab/mesh";
import { type CacheFactory, type CacheTtls, meshTask } from "@printfab/platform";

/**
 * Analyses and quotes of 3D files, cached by the file's content hash: the same file is measured once,
 * whoever sends it. Never invalidated: a result is a pure function of its key.
 */
export class ModelReads {
  private constructor(
    private readonly cache: Cache,
    private readonly pool: MeshPool,
    private readonly ttlMs: number,
  ) {}

  static async create(factory: CacheFactory, ttl: CacheTtls, pool: MeshPool): Promise<ModelReads> {
    return new ModelReads(await factory.create("mes_models", CACHE_PREFIX.mesModels), pool, ttl.analysis);
  }

  async analysis(model: Buffer): Promise<CacheResult<Analysis>> {
    return this.cache.fetch(`analysis:${await contentHashAsync(model)}`, () => meshTask(this.pool.analyze(model)), {
      ttl: this.ttlMs,
    });
  }

  async quote(model: Buffer, { material, infill, layerHeight, quantity }: QuoteQuery): Promise<CacheResult<Quote>> {
    // Content hash + every pricing input + the price table's version: a new table is a new key.
    const key = `quote:v${PRICING.version}:${await contentHashAsync(model)}:${material}:${infill}:${layerHeight}:${quantity}`;
    return this.cache.fetch(
      key,
      () => meshTask(this.pool.quote(model, { material, infill, layerHeightMm: layerHeight, quantity })),
      { ttl: this.ttlMs },
    );
  }
}
