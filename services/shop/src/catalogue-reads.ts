import type { Cache, CacheResult } from "@printfab/cache";
import {
  CACHE_PREFIX,
  type ModelMetadata,
  type Product,
  type ProductChanged,
  type ProductDetail,
  type ProductPage,
  type ProductQuery,
} from "@printfab/contracts";
import { type CacheFactory, type CacheTtls, type Tagged, tagged } from "@printfab/platform";
import type { ModelCatalog } from "./model-catalog.ts";
import type { ProductStore } from "./product-store.ts";

/** Not-found products are remembered briefly, so a flood of requests for a missing id costs little. */
const NEGATIVE_TTL_MS = 10_000;

/** Every list page carries it: any product's change may change any page (its price, its place, the total). */
const PRODUCTS_TAG = "products";
const productKey = (id: number) => `product:${id}`;

/**
 * The catalogue's reads through the cache (docs/architecture.md, "The cache"): list pages and product details
 * Cache-Aside, tagged `products` and invalidated by the Shop's outbox when a product changes; model metadata
 * and previews by content hash, never stale (their TTL only frees memory).
 */
export class CatalogueReads {
  private constructor(
    private readonly catalogue: Cache,
    private readonly models: Cache,
    private readonly products: ProductStore,
    private readonly modelCatalog: ModelCatalog,
    private readonly ttl: CacheTtls,
  ) {}

  static async create(
    factory: CacheFactory,
    ttl: CacheTtls,
    products: ProductStore,
    models: ModelCatalog,
  ): Promise<CatalogueReads> {
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
      { ttl: this.ttl.productList, tags: [PRODUCTS_TAG], jitter: 0.1 },
    );
  }

  getProduct(id: number): Promise<CacheResult<Tagged<ProductDetail> | null>> {
    return this.catalogue.fetch(
      productKey(id),
      async () => {
        const product = await this.products.getProduct(id);
        if (!product) return null;
        const model = product.modelSha256 ? await this.modelMetadata(product.modelSha256) : null;
        return tagged({ ...product, model });
      },
      { ttl: this.ttl.product, negativeTtl: NEGATIVE_TTL_MS, jitter: 0.1 },
    );
  }

  async modelMetadata(sha: string): Promise<ModelMetadata | null> {
    return this.models.getOrLoad(`meta:${sha}`, () => this.modelCatalog.metadata(sha), { ttl: this.ttl.model });
  }

  /**
   * The preview PNG of a product's model at a size; null when the product has none. A preview is named by
   * its model's content hash, so its ETag is that hash (and the size) and it never changes.
   */
  async modelPreview(product: Product, size: number): Promise<CacheResult<Tagged<Buffer>> | null> {
    const sha = product.modelSha256;
    if (!sha) return null;
    const png = await this.models.fetch(`png:${sha}:${size}`, () => this.modelCatalog.preview(sha, size), {
      ttl: this.ttl.model,
    });
    return png.value ? { ...png, value: { etag: `"${sha}-${size}"`, data: png.value } } : null;
  }

  /**
   * Delivers `product.changed` (the outbox's fast path and relay): the product's page and every list page
   * go, as one unit, so a Redis outage can never leave the one done and the other forgotten. A created
   * product's remembered "not found" goes too.
   */
  productChanged({ id }: ProductChanged): Promise<void> {
    return this.catalogue.invalidate({ keys: [productKey(id)], tags: [PRODUCTS_TAG] });
  }
}
