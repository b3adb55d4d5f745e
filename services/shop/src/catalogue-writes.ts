import type { NewProduct, Product, ProductPatch } from "@printfab/contracts";
import { notFound } from "@printfab/platform";
import type { CatalogueReads } from "./catalogue-reads.ts";
import type { ModelCatalog } from "./model-catalog.ts";
import type { ProductStore } from "./product-store.ts";

/**
 * Managers' changes to the catalogue. A product's model must be in the object store, described, before
 * the product points at it; the cached catalogue is invalidated once the change is committed.
 */
export class CatalogueWrites {
  constructor(
    private readonly products: ProductStore,
    private readonly models: ModelCatalog,
    private readonly catalogue: CatalogueReads,
  ) {}

  async createProduct(fields: NewProduct): Promise<Product> {
    const sha = fields.modelKey ? await this.models.attach(fields.modelKey) : null;
    const product = await this.products.createProduct(fields, sha);
    // Its id may have been asked for before it existed: the remembered "not found" goes too.
    await this.catalogue.productChanged(product.id);
    return product;
  }

  async updateProduct(id: number, patch: ProductPatch): Promise<Product> {
    const sha = patch.modelKey ? await this.models.attach(patch.modelKey) : null;
    const product = await this.products.updateProduct(id, patch, sha);
    if (!product) throw notFound(`product ${id}`);
    await this.catalogue.productChanged(product.id);
    return product;
  }
}
