import { ModelBodySchema, ModelMetadataSchema, PreviewPngSchema, PreviewQuerySchema } from "@printfab/contracts";
import {
  type Auth,
  bearer,
  errorResponses,
  type HttpApp,
  IdParams,
  modelBytes,
  NotModified,
  notFound,
  orNotFound,
  replyImmutable,
  requireRole,
  uploadRoute,
} from "@printfab/platform";
import type { CatalogueReads } from "../catalogue-reads.ts";
import type { ModelCatalog } from "../model-catalog.ts";

export interface ModelRoutesDeps {
  auth: Auth;
  catalogue: CatalogueReads;
  models: ModelCatalog;
  /** Largest 3D file accepted (413 above). */
  uploadLimitBytes: number;
}

const previewSchema = {
  tags: ["catalogue"],
  summary: "An isometric PNG preview of the product's model",
  params: IdParams,
  querystring: PreviewQuerySchema,
  produces: ["image/png"],
  response: { 200: PreviewPngSchema, 304: NotModified, ...errorResponses(400, 404) },
};

const uploadSchema = {
  tags: ["catalogue"],
  summary: "Upload a 3D model (manager); set it on a product with its modelKey",
  security: bearer,
  body: ModelBodySchema,
  response: { 201: ModelMetadataSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 503) },
};

/** Products' 3D models: managers upload them, anyone sees their previews. */
export async function modelRoutes(
  app: HttpApp,
  { auth, catalogue, models, uploadLimitBytes }: ModelRoutesDeps,
): Promise<void> {
  app.get("/products/:id/preview.png", { schema: previewSchema }, async (request, reply) => {
    const { id } = request.params;
    const product = orNotFound(await catalogue.getProduct(id), `product ${id}`).value;
    const preview = await catalogue.modelPreview(product, request.query.size);
    if (!preview) throw notFound(`a model of product ${id}`);
    replyImmutable(request, reply, "shop", preview, "image/png");
  });

  const upload = { ...uploadRoute(uploadLimitBytes), onRequest: requireRole(auth, "manager"), schema: uploadSchema };
  app.post("/models", upload, async (request, reply) => {
    reply.status(201);
    return models.ingest(modelBytes(request.body));
  });
}
