import type { Cache, CacheResult } from "@printfab/cache";
import { CACHE_PREFIX, type ModelMetadata, PRODUCTS_TAG, type Product } from "@printfab/contracts";
import { type CacheFactory, type Config, type Tagged, tagged } from "@printfab/platform";
import type { ModelCatalog } from "./model-catalog.ts";
import type { ProductQuery, ProductStore } from "./product-store.ts";

export type ProductPage = { items: Product[]; total: number; limit: number; offset: number };
export type ProductDetail = Product & { model: ModelMetadata | null };

/** Not-found products are remembered briefly, so a flood of requests for a missing id costs little. */
const NEGATIVE_TTL_MS = 10_000;

/**
 * The catalogue's reads through the cache (DESIGN.md section 2): list pages and product details
 * Cache-Aside, tagged `products` and invalidated when a product changes; model metadata and previews by
 * content hash, never stale (their TTL only frees memory).
 */
export class CatalogueReads {
  private constructor(
    private readonly catalogue: Cache,
    private readonly models: Cache,
    private readonly products: ProductStore,
    private readonly modelCatalog: ModelCatalog,
    private readonly ttl: Config["ttl"],
  ) {}

  static async create(factory: CacheFactory, ttl: Config["ttl"], products: ProductStore, models: ModelCatalog) {
    return new CatalogueReads(
      await factory.create("shop_catalogue", CACHE_PREFIX.shopCatalogue),
      await factory.create("shop_models", CACHE_PREFIX.shopModels),
      products,
      models,
      ttl,
    );
  }

  listProducts(q: ProductQuery): Promise<CacheResult<Tagged<ProductPage>>> {
    const key = `list:${q.category ?? ""}:${q.limit}:${q.offset}:${q.q ?? ""}`;
    return this.catalogue.fetch(
      key,
      async () => tagged({ ...(await this.products.listProducts(q)), limit: q.limit, offset: q.offset }),
      { ttl: this.ttl.productList * 1000, tags: [PRODUCTS_TAG], jitter: 0.1 },
    );
  }

  getProduct(id: number): Promise<CacheResult<Tagged<ProductDetail> | null>> {
    return this.catalogue.fetch(
      `product:${id}`,
      async () => {
        const product = await this.products.getProduct(id);
        if (!product) return null;
        const model = product.modelSha256 ? await this.modelMetadata(product.modelSha256) : null;
        return tagged({ ...product, model });
      },
      { ttl: this.ttl.product * 1000, negativeTtl: NEGATIVE_TTL_MS, jitter: 0.1 },
    );
  }

  async modelMetadata(sha: string): Promise<ModelMetadata | null> {
    return this.models.getOrLoad(`meta:${sha}`, () => this.modelCatalog.metadata(sha), { ttl: this.ttl.model * 1000 });
  }

  preview(sha: string, size: number): Promise<CacheResult<Buffer | null>> {
    return this.models.fetch(`png:${sha}:${size}`, () => this.modelCatalog.preview(sha, size), {
      ttl: this.ttl.model * 1000,
    });
  }

  /** After a product was created or changed (and committed): its page and every list page go. */
  async productChanged(id?: number): Promise<void> {
    if (id !== undefined) await this.catalogue.invalidate([`product:${id}`]);
    await this.catalogue.invalidateTags([PRODUCTS_TAG]);
  }
}
