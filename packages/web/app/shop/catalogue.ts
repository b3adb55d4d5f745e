import { formatNumber, formatPrice } from "../lib/format.ts";
import type { Category, Page, Product } from "../lib/types.ts";
import { api, messageOf } from "../ui/api.ts";
import { debounce, fill, h } from "../ui/dom.ts";
import { statusLine } from "../ui/live-region.ts";
import type { PageContext } from "./context.ts";

const PAGE_SIZE = 24;

/** The filters outlive a visit to a product page: coming back shows the same page of results. */
const filters = { q: "", category: "", offset: 0 };

let categories: Promise<Category[]> | null = null;
const loadCategories = () => {
  categories ??= api<{ items: Category[] }>("/categories").then(
    (r) => r.items,
    () => {
      categories = null;
      return [];
    },
  );
  return categories;
};

/** The catalogue: category filter, search as you type, pages of product cards with their previews. */
export function renderCatalogue({ view, signal }: PageContext): void {
  const status = statusLine("catalogue-status");
  const grid = h("ul", { class: "product-grid", "data-testid": "product-grid" });
  const prev = h("button", { type: "button", "data-testid": "catalogue-prev" }, "← Previous");
  const next = h("button", { type: "button", "data-testid": "catalogue-next" }, "Next →");
  const search = h("input", {
    id: "catalogue-q",
    type: "search",
    value: filters.q,
    maxlength: 200,
    autocomplete: "off",
    "data-testid": "catalogue-search",
  });
  const select = h(
    "select",
    { id: "catalogue-category", "data-testid": "catalogue-category" },
    h("option", { value: "" }, "All categories"),
  );

  let request: AbortController | null = null;
  const load = async () => {
    request?.abort();
    request = new AbortController();
    signal.addEventListener("abort", () => request?.abort(), { once: true });
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(filters.offset) });
    if (filters.q) query.set("q", filters.q);
    if (filters.category) query.set("category", filters.category);
    status.say("Loading…");
    try {
      const page = await api<Page<Product>>(`/products?${query}`, { signal: request.signal });
      fill(grid, page.items.map(card));
      prev.disabled = page.offset === 0;
      next.disabled = page.offset + page.items.length >= page.total;
      status.say(
        page.total === 0
          ? "No products match."
          : `Products ${formatNumber(page.offset + 1)}–${formatNumber(page.offset + page.items.length)} of ${formatNumber(page.total)}`,
      );
    } catch (err) {
      if ((err as Error).name !== "AbortError") status.say(messageOf(err), "error");
    }
  };
  const refilter = () => {
    filters.offset = 0;
    void load();
  };

  search.addEventListener(
    "input",
    debounce(() => {
      filters.q = search.value.trim();
      refilter();
    }, 300),
  );
  select.addEventListener("change", () => {
    filters.category = select.value;
    refilter();
  });
  prev.addEventListener("click", () => {
    filters.offset = Math.max(0, filters.offset - PAGE_SIZE);
    void load();
  });
  next.addEventListener("click", () => {
    filters.offset += PAGE_SIZE;
    void load();
  });
  void loadCategories().then((items) => {
    select.append(
      ...items.map((c) =>
        h("option", { value: c.name, selected: c.name === filters.category }, `${c.name} (${formatNumber(c.count)})`),
      ),
    );
  });

  fill(
    view,
    h("h1", {}, "Catalogue"),
    h(
      "form",
      { class: "filters", role: "search", onsubmit: (e: Event) => e.preventDefault() },
      h("div", { class: "field" }, h("label", { for: "catalogue-q" }, "Search"), search),
      h("div", { class: "field" }, h("label", { for: "catalogue-category" }, "Category"), select),
    ),
    status.el,
    grid,
    h("nav", { class: "pager", "aria-label": "Catalogue pages" }, prev, next),
  );
  void load();
}

function card(p: Product) {
  return h(
    "li",
    { class: "product-card", "data-testid": `product-card-${p.id}` },
    h(
      "a",
      { href: `#/product/${p.id}` },
      p.modelKey
        ? h("img", { src: `/products/${p.id}/preview.png?size=256`, alt: "", loading: "lazy", width: 256, height: 256 })
        : h("div", { class: "no-preview" }, "No preview"),
      h("span", { class: "name" }, p.name),
      h("span", { class: "meta" }, `${p.category} · ${p.material}`),
      h("span", { class: "price" }, formatPrice(p.priceCents)),
    ),
  );
}
