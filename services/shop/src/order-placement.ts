import type { Order, PlaceOrder, Product } from "@printfab/contracts";
import type { MesOrdersClient } from "@printfab/mes-client";
import { unprocessable } from "@printfab/platform";
import type { ProductStore } from "./product-store.ts";

/** A customer's order: priced from the catalogue at this moment, and placed with MES, which owns orders. */
export class OrderPlacement {
  constructor(
    private readonly products: ProductStore,
    private readonly mes: MesOrdersClient,
  ) {}

  async place(customerId: number, lines: PlaceOrder["items"]): Promise<Order> {
    const ids = [...new Set(lines.map((line) => line.productId))];
    if (ids.length !== lines.length)
      throw unprocessable("duplicate_product", "each product may appear once; use quantity");
    const found = await this.products.getProductsByIds(ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) throw unprocessable("unknown_product", `unknown product id(s): ${missing.join(", ")}`);
    return this.mes.placeOrder({
      customerId,
      items: lines.map(({ productId, quantity }) => {
        const p = found.get(productId) as Product;
        const item = { productId: p.id, productName: p.name, quantity, unitPriceCents: p.priceCents };
        return p.modelKey ? { ...item, modelKey: p.modelKey, material: p.material } : item;
      }),
    });
  }
}
