import {
  CategoryListSchema,
  CategoryQuerySchema,
  NewProductSchema,
  ProductDetailSchema,
  ProductPageSchema,
  ProductPatchSchema,
  ProductQuerySchema,
  ProductSchema,
} from "@printfab/contracts";
import {
  type Auth,
  bearer,
  errorResponses,
  type HttpApp,
  IdParams,
  NotModified,
  orNotFound,
  replyFromCache,
  requireRole,
} from "@printfab/platform";
import type { CatalogueReads } from "../catalogue-reads.ts";
import type { CatalogueWrites } from "../catalogue-writes.ts";

export interface ProductRoutesDeps {
  auth: Auth;
  catalogue: CatalogueReads;
  writes: CatalogueWrites;
}

const listSchema = {
  tags: ["catalogue"],
  summary: "A page of the catalogue, by category and full-text search",
  querystring: ProductQuerySchema,
  response: { 200: ProductPageSchema, 304: NotModified, ...errorResponses(400) },
};

const categoriesSchema = {
  tags: ["catalogue"],
  summary: "The catalogue's categories, by name, with their number of products",
  querystring: CategoryQuerySchema,
  response: { 200: CategoryListSchema, 304: NotModified, ...errorResponses(400) },
};

const getSchema = {
  tags: ["catalogue"],
  summary: "One product, with its 3D model's metadata",
  params: IdParams,
  response: { 200: ProductDetailSchema, 304: NotModified, ...errorResponses(400, 404) },
};

const createSchema = {
  tags: ["catalogue"],
  summary: "Add a product (manager)",
  security: bearer,
  body: NewProductSchema,
  response: { 201: ProductSchema, ...errorResponses(400, 401, 403, 413, 415) },
};

const updateSchema = {
  tags: ["catalogue"],
  summary: "Change a product (manager)",
  security: bearer,
  params: IdParams,
  body: ProductPatchSchema,
  response: { 200: ProductSchema, ...errorResponses(400, 401, 403, 404, 413, 415) },
};

/** The catalogue: public reads (cached, with ETags), and managers' changes. */
export async function productRoutes(app: HttpApp, { auth, catalogue, writes }: ProductRoutesDeps): Promise<void> {
  const manager = requireRole(auth, "manager");

  // Both send the cached bytes as they are: they were made from these routes' response schemas on the miss.
  app.get("/products", { schema: listSchema }, async (request, reply) =>
    replyFromCache(request, reply, "shop", await catalogue.listProducts(request.query)),
  );

  app.get("/categories", { schema: categoriesSchema }, async (request, reply) =>
    replyFromCache(request, reply, "shop", await catalogue.listCategories()),
  );

  app.get("/products/:id", { schema: getSchema }, async (request, reply) => {
    const { id } = request.params;
    replyFromCache(request, reply, "shop", orNotFound(await catalogue.getProduct(id), `product ${id}`));
  });

  app.post("/products", { onRequest: manager, schema: createSchema }, async (request, reply) => {
    reply.status(201);
    return writes.createProduct(request.body);
  });

  app.patch("/products/:id", { onRequest: manager, schema: updateSchema }, async (request) =>
    writes.updateProduct(request.params.id, request.body),
  );
}
