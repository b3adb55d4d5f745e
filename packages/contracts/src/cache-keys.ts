/**
 * Cache key layout shared between services: MES's outbox relay invalidates entries that the Shop and the
 * CRM cache, so the prefixes and keys of order data are a contract between them.
 */
export const CACHE_PREFIX = {
  shopCatalogue: "shop:catalogue",
  shopModels: "shop:models",
  shopOrders: "shop:orders",
  crmCustomers: "crm:customers",
  crmOrders: "crm:orders",
  mesOrders: "mes:orders",
  mesModels: "mes:models",
} as const;

/** The Shop caches an order per customer, so one customer's entry can never answer another's request. */
export const shopOrderKey = (customerId: number, orderId: number) => `order:${customerId}:${orderId}`;
export const orderKey = (orderId: number) => `order:${orderId}`;
/** Every CRM order list page carries this tag: any status change may move an order between pages. */
export const CRM_ORDER_LISTS_TAG = "order-lists";
export const PRODUCTS_TAG = "products";
