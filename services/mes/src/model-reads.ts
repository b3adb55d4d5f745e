import type { Cache, CacheResult } from "@printfab/cache";
import {
  type Analysis,
  CACHE_PREFIX,
  type Printability,
  type Quote,
  type QuoteQuery,
  SLICEABLE_MATERIALS,
  type SliceQuery,
  type SliceResult,
} from "@printfab/contracts";
import { contentHashAsync, type MeshPool, PRICING, priceEstimate } from "@printfab/mesh";
import { type CacheFactory, type CacheTtls, meshTask } from "@printfab/platform";

/** What a quote asks of slicing: figures of a model already sliced (never a new slicing), printability. */
export interface SliceEstimates {
  sliced(modelSha256: string, options: SliceQuery): Promise<SliceResult | null>;
  printability(analysis: Analysis, warnings?: readonly string[]): Printability;
}

const sliceable = (material: string): material is SliceQuery["material"] =>
  (SLICEABLE_MATERIALS as readonly string[]).includes(material);

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
    return new ModelReads(
      await factory.create("mes_models", CACHE_PREFIX.mesModels, { contentAddressed: true }),
      pool,
      ttl.analysis,
    );
  }

  async analysis(model: Buffer, sha256?: string): Promise<CacheResult<Analysis>> {
    const hash = sha256 ?? (await contentHashAsync(model));
    return this.cache.fetch(`analysis:${hash}`, () => meshTask(this.pool.analyze(model)), { ttl: this.ttlMs });
  }

  /**
   * A quote with the slicer's print time and mass when this model was already sliced with these options,
   * else with the measure-and-estimate rule (no slicing is started for it); both with the printability.
   */
  async quote(model: Buffer, query: QuoteQuery, slices: SliceEstimates): Promise<CacheResult<Quote>> {
    const { material, infill, layerHeight, quantity } = query;
    const sha = await contentHashAsync(model);
    const sliced = sliceable(material) ? await slices.sliced(sha, { material, infill, layerHeight }) : null;
    if (sliced) {
      const a = await this.analysis(model, sha);
      const { filamentGrams, printTimeSeconds, warnings } = sliced.figures;
      const quote = priceEstimate(filamentGrams, printTimeSeconds, {
        material,
        infill,
        layerHeightMm: layerHeight,
        quantity,
      });
      const printability = slices.printability(a.value, warnings);
      return { ...a, value: { ...a.value, estimator: "slicer", printability, quote } };
    }
    // Content hash + every pricing input + the price table's version: a new table is a new key.
    const key = `quote:v${PRICING.version}:${sha}:${material}:${infill}:${layerHeight}:${quantity}`;
    const r = await this.cache.fetch(
      key,
      () => meshTask(this.pool.quote(model, { material, infill, layerHeightMm: layerHeight, quantity })),
      { ttl: this.ttlMs },
    );
    return { ...r, value: { ...r.value, estimator: "heuristic", printability: slices.printability(r.value) } };
  }
}
