import type { OrderQuery } from "./order.ts";

/**
 * Cache key spaces. Each service caches what it owns under prefixes of its own and is the only one to
 * invalidate them. Orders are the one shared key space: MES owns orders, and the Shop, the CRM and MES
 * read them through the same entries, so MES invalidates one key and one tag when an order changes and
 * knows nothing of who shows it. Its layout is therefore a contract between them.
 */
export const CACHE_PREFIX = {
  shopCatalogue: "shop:catalogue",
  shopModels: "shop:models",
  shopModelFiles: "shop:model-files",
  crmCustomers: "crm:customers",
  mesOrders: "mes:orders",
  mesModels: "mes:models",
} as const;

/** One order as MES answers it, whoever reads it: a reader checks whose it is after the cached read. */
export const orderKey = (orderId: number) => `order:${orderId}`;
/** A page of orders as MES answers the query. */
export const orderListKey = (q: OrderQuery) => `list:${q.customerId ?? ""}:${q.status ?? ""}:${q.limit}:${q.offset}`;
/** Every order list page carries this tag: any order's change may move it between pages. */
export const ORDERS_TAG = "orders";
/** A missing order is remembered this long by every reader: it may be placed any moment. */
export const ORDER_NOT_FOUND_TTL_MS = 2000;
