/** The storefront's pages inside `index.html`, addressed by the URL's hash. */

export type Route =
  | { page: "catalogue" }
  | { page: "product"; id: number }
  | { page: "quote" }
  | { page: "orders" }
  | { page: "order"; id: number };

const ID = /^[1-9][0-9]{0,14}$/;

/** "#/product/12" -> { page: "product", id: 12 }; anything unknown is the catalogue. */
export function parseRoute(hash: string): Route {
  const [name, id, ...rest] = hash.replace(/^#\/?/, "").split("/");
  if (rest.length > 0) return { page: "catalogue" };
  if ((name === "product" || name === "order") && id !== undefined && ID.test(id))
    return { page: name, id: Number(id) };
  if ((name === "quote" || name === "orders") && id === undefined) return { page: name };
  return { page: "catalogue" };
}

export function routeHref(route: Route): string {
  return "id" in route ? `#/${route.page}/${route.id}` : route.page === "catalogue" ? "#/" : `#/${route.page}`;
}
