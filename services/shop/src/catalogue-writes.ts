import type { NewProduct, Product, ProductChanged, ProductPatch } from "@printfab/contracts";
import { notFound, type OutboxRelay } from "@printfab/platform";
import type { ModelCatalog } from "./model-catalog.ts";
import type { ProductStore } from "./product-store.ts";

/**
 * Managers' changes to the catalogue. A product's model must be in the object store, described, before
 * the product points at it; each change commits its `product.changed` event with the row, and the outbox
 * delivers it (the cached catalogue is invalidated) before the change is acknowledged.
 */
export class CatalogueWrites {
  constructor(
    private readonly products: ProductStore,
    private readonly models: ModelCatalog,
    private readonly outbox: OutboxRelay<ProductChanged>,
  ) {}

  async createProduct(fields: NewProduct): Promise<Product> {
    const sha = fields.modelKey ? await this.models.attach(fields.modelKey) : null;
    return this.outbox.deliverNow(await this.products.createProduct(fields, sha));
  }

  async updateProduct(id: number, patch: ProductPatch): Promise<Product> {
    const sha = patch.modelKey ? await this.models.attach(patch.modelKey) : null;
    const committed = await this.products.updateProduct(id, patch, sha);
    if (!committed) throw notFound(`product ${id}`);
    return this.outbox.deliverNow(committed);
  }
}
