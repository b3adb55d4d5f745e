import { formatPrice } from "../lib/format.ts";
import type { Order, ProductDetail } from "../lib/types.ts";
import { api, messageOf } from "../ui/api.ts";
import { fill, h } from "../ui/dom.ts";
import { statusLine } from "../ui/live-region.ts";
import { mountModel } from "../ui/model-slot.ts";
import { isCustomer, type PageContext } from "./context.ts";
import { measurementList } from "./measurements.ts";

/** A product: its details, price, 3D view and the order form. */
export async function renderProduct({ view, session, signal }: PageContext, id: number): Promise<void> {
  const status = statusLine("product-status");
  fill(view, status.el);
  status.say("Loading…");
  let product: ProductDetail;
  try {
    product = await api<ProductDetail>(`/products/${id}`, { signal });
  } catch (err) {
    if ((err as Error).name !== "AbortError") status.say(messageOf(err), "error");
    return;
  }
  status.say("");
  const stage = h("div", { class: "model-stage", "data-testid": "model-view" });
  fill(
    view,
    h("p", {}, h("a", { href: "#/" }, "← Catalogue")),
    h(
      "article",
      { class: "product" },
      h("h1", { "data-testid": "product-name" }, product.name),
      stage,
      h(
        "div",
        { class: "product-info" },
        h("p", { class: "price", "data-testid": "product-price" }, formatPrice(product.priceCents)),
        h("p", { class: "meta" }, `${product.category} · ${product.material}`),
        h("p", {}, product.description),
        product.model ? measurementList(product.model.measurements, "product-measurements") : null,
        orderForm(product, isCustomer(session)),
      ),
    ),
    status.el,
  );
  if (!product.model) {
    fill(stage, h("p", { class: "note" }, "This product has no 3D model."));
    return;
  }
  const format = product.model.format;
  const dispose = await mountModel(
    stage,
    async () => {
      const response = await fetch(`/products/${id}/model`, { credentials: "same-origin", signal });
      if (!response.ok) throw new Error(`the model could not be loaded (HTTP ${response.status})`);
      return { bytes: await response.arrayBuffer(), format };
    },
    { src: `/products/${id}/preview.png?size=512`, alt: `Preview of ${product.name}` },
  );
  signal.addEventListener("abort", dispose, { once: true });
}

function orderForm(product: ProductDetail, customer: boolean) {
  const result = statusLine("order-message");
  const quantity = h("input", {
    id: "order-quantity",
    type: "number",
    min: 1,
    max: 1000,
    value: 1,
    required: true,
    inputmode: "numeric",
    "data-testid": "order-quantity",
  });
  const button = h("button", { type: "submit", disabled: !customer, "data-testid": "order-button" }, "Order");
  const submit = async (event: Event) => {
    event.preventDefault();
    const n = Number(quantity.value);
    if (!Number.isInteger(n) || n < 1 || n > 1000) return result.say("Choose a quantity from 1 to 1,000.", "error");
    button.disabled = true;
    result.say("Placing the order…");
    try {
      const order = await api<Order>("/orders", {
        method: "POST",
        body: { items: [{ productId: product.id, quantity: n }] },
      });
      location.hash = `#/order/${order.id}`;
    } catch (err) {
      result.say(messageOf(err), "error");
      button.disabled = false;
    }
  };
  return h(
    "form",
    { class: "order-form", onsubmit: submit },
    h("label", { for: "order-quantity" }, "Quantity"),
    quantity,
    button,
    customer ? null : h("p", { class: "note", "data-testid": "order-signin-hint" }, "Sign in as a customer to order."),
    result.el,
  );
}
