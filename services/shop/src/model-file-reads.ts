import type { Readable } from "node:stream";
import type { Cache, CacheResult } from "@printfab/cache";
import { CACHE_PREFIX, type ProductDetail } from "@printfab/contracts";
import { type CacheFactory, type CacheTtls, notFound, orNotFound } from "@printfab/platform";
import type { ByteRange } from "@printfab/storage";
import type { CatalogueReads } from "./catalogue-reads.ts";
import type { ModelCatalog } from "./model-catalog.ts";

/** Model files up to this size are kept whole in the cache (L1 and Redis); larger ones are streamed. */
export const DEFAULT_MODEL_CACHE_MAX_BYTES = 4 * 1024 * 1024;

/** A model whose object went missing is remembered briefly, so a flood of requests for it costs little. */
const NEGATIVE_TTL_MS = 10_000;

const MODEL_FORMATS = ["stl", "obj", "3mf"] as const;
type ModelFormat = (typeof MODEL_FORMATS)[number];

/** A product's model file, ready to be sent. */
export interface ModelFile {
  productId: number;
  productName: string;
  modelKey: string;
  format: ModelFormat | null;
  size: number;
  /** Strong: the file's content hash, as its content never changes under it. */
  etag: string;
  /** The whole file when it is small enough to be cached; else null, and it is streamed from the store. */
  bytes: Buffer | null;
}

type Stored = Buffer | { size: number } | null;

/** The format from the model's metadata, else from its key's extension. */
function formatOf(product: ProductDetail): ModelFormat | null {
  if (product.model) return product.model.format;
  const ext = product.modelKey?.split(".").pop()?.toLowerCase();
  return MODEL_FORMATS.find((f) => f === ext) ?? null;
}

/**
 * Products' model files through the cache (docs/architecture.md, "The cache"). Keyed by content hash, so
 * never stale: a product whose model changes points at another hash, and its page (read through the
 * catalogue's invalidated entries) says which. A small file is kept as its bytes, a large one as its size
 * only, so a download of either costs no HEAD once the cache knows it, and a small one no GET either.
 */
export class ModelFileReads {
  private constructor(
    private readonly cache: Cache,
    private readonly catalogue: CatalogueReads,
    private readonly models: ModelCatalog,
    private readonly ttl: CacheTtls,
    private readonly maxCachedBytes: number,
  ) {}

  static async create(
    factory: CacheFactory,
    ttl: CacheTtls,
    catalogue: CatalogueReads,
    models: ModelCatalog,
    maxCachedBytes = DEFAULT_MODEL_CACHE_MAX_BYTES,
  ): Promise<ModelFileReads> {
    if (!Number.isSafeInteger(maxCachedBytes) || maxCachedBytes < 0)
      throw new RangeError(`the model cache threshold must be a whole number of bytes, not ${maxCachedBytes}`);
    const cache = await factory.create("shop_model_files", CACHE_PREFIX.shopModelFiles, { contentAddressed: true });
    return new ModelFileReads(cache, catalogue, models, ttl, maxCachedBytes);
  }

  /** The model file of a product; a 404 for an unknown product, one without a model, or a missing file. */
  async ofProduct(id: number): Promise<CacheResult<ModelFile>> {
    const page = orNotFound(await this.catalogue.getProduct(id), `product ${id}`).value;
    const product = JSON.parse(page.body.toString("utf8")) as ProductDetail;
    const { modelKey, modelSha256: sha } = product;
    if (!modelKey || !sha) throw notFound(`a model of product ${id}`);
    const r = await this.cache.fetch<Stored>(`file:${sha}`, () => this.models.file(modelKey, this.maxCachedBytes), {
      ttl: this.ttl.model,
      negativeTtl: NEGATIVE_TTL_MS,
    });
    const stored = orNotFound(r, `the model file of product ${id}`).value;
    const bytes = Buffer.isBuffer(stored) ? stored : null;
    const file: ModelFile = {
      productId: id,
      productName: product.name,
      modelKey,
      format: formatOf(product),
      size: bytes ? bytes.length : (stored as { size: number }).size,
      etag: `"${sha}"`,
      bytes,
    };
    return { ...r, value: file };
  }

  /** A large file (or a range of it) from the store; a 404 when it went missing since the cache saw it. */
  async stream(file: ModelFile, range?: ByteRange): Promise<Readable> {
    const stream = await this.models.fileStream(file.modelKey, range);
    if (!stream) throw notFound(`the model file of product ${file.productId}`);
    return stream;
  }
}
