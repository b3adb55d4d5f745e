import type {
  CategoryList,
  NewProduct,
  Product,
  ProductChanged,
  ProductPatch,
  ProductQuery,
} from "@printfab/contracts";
import { type Committed, type Database, type Queryable, queryPage, recordEvent } from "@printfab/platform";

interface ProductRow {
  id: number;
  name: string;
  description: string;
  category: string;
  material: Product["material"];
  price_cents: number;
  model_key: string | null;
  model_sha256: string | null;
  updated_at: Date;
}

const COLUMNS = "id, name, description, category, material, price_cents, model_key, model_sha256, updated_at";

const toProduct = (r: ProductRow): Product => ({
  id: r.id,
  name: r.name,
  description: r.description,
  category: r.category,
  material: r.material,
  priceCents: r.price_cents,
  modelKey: r.model_key,
  modelSha256: r.model_sha256,
  updatedAt: r.updated_at.toISOString(),
});

/** Turns user text into a prefix tsquery: words only, so no tsquery syntax reaches PostgreSQL. */
export function toPrefixQuery(text: string): string | null {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!words) return null;
  return words
    .slice(0, 8)
    .map((w) => `${w}:*`)
    .join(" & ");
}

const PATCH_COLUMNS: Record<keyof ProductPatch, string> = {
  name: "name",
  description: "description",
  category: "category",
  material: "material",
  priceCents: "price_cents",
  modelKey: "model_key",
};

/** A product's row, committed with the `product.changed` event that the cached catalogue must hear. */
async function changed(tx: Queryable, row: ProductRow): Promise<Committed<Product, ProductChanged>> {
  return { value: toProduct(row), event: await recordEvent(tx, "shop", { type: "product.changed", id: row.id }) };
}

/**
 * The Shop's products: the one place their SQL lives. `listProducts` and `getProduct` are the cached reads;
 * a write commits its `product.changed` event (outbox) with the row.
 */
export class ProductStore {
  constructor(private readonly db: Database) {}

  async listProducts(q: ProductQuery): Promise<{ items: Product[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.category) {
      params.push(q.category);
      where.push(`category = $${params.length}`);
    }
    if (q.q !== undefined) {
      const tsquery = toPrefixQuery(q.q);
      if (tsquery === null) return { items: [], total: 0 };
      params.push(tsquery);
      where.push(`search @@ to_tsquery('simple', $${params.length})`);
    }
    const page = await queryPage<ProductRow>(this.db, {
      columns: COLUMNS,
      from: "shop.products",
      where,
      params,
      orderBy: "id",
      limit: q.limit,
      offset: q.offset,
    });
    return { items: page.rows.map(toProduct), total: page.total };
  }

  /**
   * Every category with its number of products, by name in code-point order (the "C" collation: the same
   * whatever the database's locale, and as JavaScript sorts).
   */
  async listCategories(): Promise<CategoryList> {
    const items = await this.db.query<{ name: string; count: number }>(
      `SELECT category AS name, count(*)::int AS count FROM shop.products
       GROUP BY category ORDER BY category COLLATE "C"`,
    );
    return { items };
  }

  async getProduct(id: number): Promise<Product | null> {
    const [row] = await this.db.query<ProductRow>(`SELECT ${COLUMNS} FROM shop.products WHERE id = $1`, [id]);
    return row ? toProduct(row) : null;
  }

  /** Several products by id, for pricing an order; missing ids are simply absent from the map. */
  async getProductsByIds(ids: number[]): Promise<Map<number, Product>> {
    const rows = await this.db.query<ProductRow>(`SELECT ${COLUMNS} FROM shop.products WHERE id = ANY($1::bigint[])`, [
      ids,
    ]);
    return new Map(rows.map((r) => [r.id, toProduct(r)]));
  }

  /** `modelSha256` is the content hash of the object under `modelKey` (the caller read it). */
  async createProduct(p: NewProduct, modelSha256: string | null): Promise<Committed<Product, ProductChanged>> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<ProductRow>(
        `INSERT INTO shop.products (name, description, category, material, price_cents, model_key, model_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
        [p.name, p.description ?? "", p.category, p.material, p.priceCents, p.modelKey ?? null, modelSha256],
      );
      return changed(tx, row as ProductRow);
    });
  }

  /**
   * With `modelKey` in the patch, `modelSha256` is its content hash (null when the model is removed).
   * Null when there is no such product (and nothing is recorded).
   */
  async updateProduct(
    id: number,
    patch: ProductPatch,
    modelSha256?: string | null,
  ): Promise<Committed<Product, ProductChanged> | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    if (patch.modelKey !== undefined) {
      params.push(modelSha256 ?? null);
      sets.push(`model_sha256 = $${params.length}`);
    }
    for (const [field, column] of Object.entries(PATCH_COLUMNS) as Array<[keyof ProductPatch, string]>) {
      if (patch[field] === undefined) continue;
      params.push(patch[field]);
      sets.push(`${column} = $${params.length}`);
    }
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<ProductRow>(
        `UPDATE shop.products SET ${sets.join(", ")}, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        params,
      );
      return row ? changed(tx, row) : null;
    });
  }
}
