import type { Cache, CacheResult } from "@printfab/cache";
import {
  CACHE_PREFIX,
  CategoryListSchema,
  type ModelMetadata,
  type Product,
  type ProductChanged,
  ProductDetailSchema,
  ProductPageSchema,
  type ProductQuery,
} from "@printfab/contracts";
import {
  type CacheFactory,
  type CacheTtls,
  cachedRepresentation,
  type Representation,
  representationEncoder,
} from "@printfab/platform";
import type { ModelCatalog } from "./model-catalog.ts";
import type { ProductStore } from "./product-store.ts";

/** Not-found products are remembered briefly, so a flood of requests for a missing id costs little. */
const NEGATIVE_TTL_MS = 10_000;

/** Every list page carries it: any product's change may change any page (its price, its place, the total). */
const PRODUCTS_TAG = "products";
/**
 * `v2`: the values are representations (`representationEncoder`'s bytes), no longer `{ etag, data }`
 * objects, so an instance of either release never reads the other's values during a rolling deploy.
 */
const productKey = (id: number) => `v2:product:${id}`;
const listKey = (q: ProductQuery) => `v2:list:${q.category ?? ""}:${q.limit}:${q.offset}:${q.q ?? ""}`;
const CATEGORIES_KEY = "v2:categories";
/** The previous release's key of a product page: its instances read it until a rolling deploy is over. */
const previousProductKey = (id: number) => `product:${id}`;

const encodePage = representationEncoder(ProductPageSchema);
const encodeDetail = representationEncoder(ProductDetailSchema);
const encodeCategories = representationEncoder(CategoryListSchema);

/**
 * The catalogue's reads through the cache (docs/architecture.md, "The cache"): list pages, categories and
 * product details Cache-Aside, tagged `products` and invalidated by the Shop's outbox when a product
 * changes, kept as the bytes their routes send; model metadata and previews by content hash, never stale
 * (their TTL only frees memory).
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
      await factory.create("shop_models", CACHE_PREFIX.shopModels, { contentAddressed: true }),
      products,
      models,
      ttl,
    );
  }

  /**
   * A list page, and on its load the product pages of its rows too: they are the same rows, so a page of
   * twenty costs one query for twenty-one entries (`alsoFill`: fenced, like the list, by the `products` tag
   * and its version read before the query, so a change racing the load cannot leave an old page behind).
   * Not for a search: anyone can make endless distinct searches, and each would fill a page of rows.
   */
  async listProducts(q: ProductQuery): Promise<CacheResult<Representation>> {
    const r = await this.catalogue.fetch(
      listKey(q),
      async ({ alsoFill }) => {
        const page = await this.products.listProducts(q);
        if (q.q === undefined) {
          const details = await Promise.all(page.items.map((p) => this.#detail(p)));
          for (const [i, p] of page.items.entries()) alsoFill(productKey(p.id), details[i], { ttl: this.ttl.product });
        }
        return encodePage({ ...page, limit: q.limit, offset: q.offset });
      },
      { ttl: this.ttl.productList, tags: [PRODUCTS_TAG], jitter: 0.1 },
    );
    return cachedRepresentation(r);
  }

  /** The categories and their counts: any product's change may change them, so the `products` tag fences them. */
  async listCategories(): Promise<CacheResult<Representation>> {
    const r = await this.catalogue.fetch(
      CATEGORIES_KEY,
      async () => encodeCategories(await this.products.listCategories()),
      { ttl: this.ttl.productList, tags: [PRODUCTS_TAG], jitter: 0.1 },
    );
    return cachedRepresentation(r);
  }

  /**
   * A product's page. Its own load is fenced by its key's version, so it carries no tag (a change of any
   * other product leaves it be); a page a list filled carries the list's `products` tag, and is judged by it.
   */
  async getProduct(id: number): Promise<CacheResult<Representation | null>> {
    const r = await this.catalogue.fetch(
      productKey(id),
      async () => {
        const product = await this.products.getProduct(id);
        return product ? this.#detail(product) : null;
      },
      { ttl: this.ttl.product, negativeTtl: NEGATIVE_TTL_MS, jitter: 0.1 },
    );
    return cachedRepresentation(r);
  }

  async #detail(product: Product): Promise<Buffer> {
    const model = product.modelSha256 ? await this.modelMetadata(product.modelSha256) : null;
    return encodeDetail({ ...product, model });
  }

  async modelMetadata(sha: string): Promise<ModelMetadata | null> {
    return this.models.getOrLoad(`meta:${sha}`, () => this.modelCatalog.metadata(sha), { ttl: this.ttl.model });
  }

  /**
   * The preview PNG of the model of a product (its page, as `getProduct` answers it) at a size; null when
   * the product has none. A preview is named by its model's content hash, so its ETag is that hash (and the
   * size) and it never changes.
   */
  async modelPreview(product: Representation, size: number): Promise<CacheResult<Representation> | null> {
    const { modelSha256: sha } = JSON.parse(product.body.toString("utf8")) as Pick<Product, "modelSha256">;
    if (!sha) return null;
    const png = await this.models.fetch(`png:${sha}:${size}`, () => this.modelCatalog.preview(sha, size), {
      ttl: this.ttl.model,
    });
    return png.value ? { ...png, value: { etag: `"${sha}-${size}"`, body: png.value } } : null;
  }

  /**
   * Delivers `product.changed` (the outbox's fast path and relay): the product's page and every list page
   * go, as one unit, so a Redis outage can never leave the one done and the other forgotten. A created
   * product's remembered "not found" goes too, and so does the page under the previous release's key.
   */
  productChanged({ id }: ProductChanged): Promise<void> {
    return this.catalogue.invalidate({ keys: [productKey(id), previousProductKey(id)], tags: [PRODUCTS_TAG] });
  }
}
