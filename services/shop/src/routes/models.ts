import {
  ModelBodySchema,
  ModelFileSchema,
  ModelMetadataSchema,
  PreviewPngSchema,
  PreviewQuerySchema,
} from "@printfab/contracts";
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
import type { ModelFileReads } from "../model-file-reads.ts";
import { sendModelFile } from "../model-file-reply.ts";

export interface ModelRoutesDeps {
  auth: Auth;
  catalogue: CatalogueReads;
  models: ModelCatalog;
  modelFiles: ModelFileReads;
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

const fileSchema = {
  tags: ["catalogue"],
  summary: "The product's 3D model file (STL, OBJ or 3MF), with its content hash as ETag and byte ranges",
  description:
    "One range per request (`Range: bytes=first-last`, `bytes=first-` or `bytes=-suffix`): 206, or 416 past " +
    "the end; several ranges, another unit or bad syntax are ignored (200, the whole file). `If-Range` with " +
    "the current ETag keeps the range, anything else gets the whole file. Revalidate before reuse: the " +
    "product's model may change.",
  params: IdParams,
  produces: ["model/stl", "model/obj", "model/3mf"],
  response: { 200: ModelFileSchema, 206: ModelFileSchema, 304: NotModified, ...errorResponses(400, 404, 416, 503) },
};

const uploadSchema = {
  tags: ["catalogue"],
  summary: "Upload a 3D model (manager); set it on a product with its modelKey",
  security: bearer,
  body: ModelBodySchema,
  response: { 201: ModelMetadataSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 503) },
};

/** Products' 3D models: managers upload them, anyone sees their previews and downloads their files. */
export async function modelRoutes(
  app: HttpApp,
  { auth, catalogue, models, modelFiles, uploadLimitBytes }: ModelRoutesDeps,
): Promise<void> {
  // HEAD declared, not derived: Fastify's own HEAD would read a streamed file to its end and drop it.
  app.route({
    method: ["GET", "HEAD"],
    url: "/products/:id/model",
    schema: fileSchema,
    handler: async (request, reply) =>
      sendModelFile(request, reply, await modelFiles.ofProduct(request.params.id), modelFiles),
  });

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
