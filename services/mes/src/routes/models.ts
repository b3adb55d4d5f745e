import { AnalysisSchema, ModelBodySchema, QuoteQuerySchema, QuoteSchema } from "@printfab/contracts";
import {
  type Auth,
  bearer,
  errorResponses,
  type HttpApp,
  modelBytes,
  replyComputed,
  requireRole,
  uploadRoute,
} from "@printfab/platform";
import type { ModelReads, SliceEstimates } from "../model-reads.ts";

export interface ModelRoutesDeps {
  auth: Auth;
  models: ModelReads;
  /** Figures of models already sliced, and printability, for quotes. */
  slices: SliceEstimates;
  /** Largest 3D file accepted (413 above). */
  uploadLimitBytes: number;
}

const analysisSchema = {
  tags: ["models"],
  summary: "Measure a 3D file: volume, area, bounding box, watertightness",
  security: bearer,
  body: ModelBodySchema,
  response: { 200: AnalysisSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 503) },
};

const quoteSchema = {
  tags: ["models"],
  summary:
    "Measure and price a 3D file for the given options (the Shop's instant quotes): the slicer's figures when the model was sliced with these options, else the heuristic (`estimator` says which), with its printability",
  security: bearer,
  querystring: QuoteQuerySchema,
  body: ModelBodySchema,
  response: { 200: QuoteSchema, ...errorResponses(400, 401, 403, 413, 415, 422, 503) },
};

/** 3D files measured and priced, for staff and for the Shop's instant quotes. */
export async function modelRoutes(
  app: HttpApp,
  { auth, models, slices, uploadLimitBytes }: ModelRoutesDeps,
): Promise<void> {
  const upload = { ...uploadRoute(uploadLimitBytes), onRequest: requireRole(auth, "operator", "manager", "service") };

  app.post("/analyses", { ...upload, schema: analysisSchema }, async (request, reply) =>
    replyComputed(reply, "mes", await models.analysis(modelBytes(request.body))),
  );

  app.post("/quotes", { ...upload, schema: quoteSchema }, async (request, reply) =>
    replyComputed(reply, "mes", await models.quote(modelBytes(request.body), request.query, slices)),
  );
}
