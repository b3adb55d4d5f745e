import "../styles/base.css";
import "../styles/shop.css";
import { parseRoute, type Route } from "../lib/routes.ts";
import type { Session } from "../lib/types.ts";
import { byId } from "../ui/dom.ts";
import { startPage } from "../ui/page-shell.ts";
import { renderCatalogue } from "./catalogue.ts";
import type { PageContext } from "./context.ts";
import { renderOrder } from "./order-page.ts";
import { renderOrders } from "./orders-page.ts";
import { renderProduct } from "./product-page.ts";
import { renderQuote } from "./quote-page.ts";

/** The storefront: one HTML page, its views chosen by the URL's hash (#/product/12, #/quote, ...). */

const view = byId("view");
let session: Session | null = null;
let leave = new AbortController();
let started = false;

function show(route: Route): void {
  leave.abort();
  leave = new AbortController();
  const ctx: PageContext = { view, session, signal: leave.signal };
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    if (link.dataset.page === route.page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (route.page === "product") void renderProduct(ctx, route.id);
  else if (route.page === "order") void renderOrder(ctx, route.id);
  else if (route.page === "quote") renderQuote(ctx);
  else if (route.page === "orders") renderOrders(ctx);
  else renderCatalogue(ctx);
}

const current = () => parseRoute(location.hash);

window.addEventListener("hashchange", () => {
  show(current());
  view.focus({ preventScroll: true });
});

startPage((next) => {
  const changed = next?.sub !== session?.sub || next?.role !== session?.role;
  session = next;
  // The first view waits for the session; later, a sign-in or sign-out redraws the views that depend on who
  // is signed in (the catalogue and a quote in progress are the same for everyone and are left as they are).
  const page = current().page;
  if (!started || (changed && page !== "catalogue" && page !== "quote")) show(current());
  started = true;
});
