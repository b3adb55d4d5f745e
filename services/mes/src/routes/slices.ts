import { SliceJobSchema, SliceModelRefSchema, SliceQuerySchema } from "@printfab/contracts";
import {
  type Auth,
  badRequest,
  bearer,
  errorResponses,
  type HttpApp,
  makeAjv,
  principalOf,
  requireRole,
  uploadRoute,
} from "@printfab/platform";
import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import type { SliceSource, Slicing } from "../slicing/slicing.ts";

export interface SliceRoutesDeps {
  auth: Auth;
  slicing: Slicing;
  /** Largest 3D file accepted (413 above). */
  uploadLimitBytes: number;
}

const JobParams = Type.Object({ id: Type.String({ format: "uuid" }) }, { additionalProperties: false });

// The body is a raw 3D file or JSON naming a stored one: `format: binary` makes the route's validator
// pass it through, and the JSON form is checked here.
const SliceBodySchema = Type.Unsafe<unknown>({
  format: "binary",
  description: "the 3D file (STL, OBJ or 3MF, as application/octet-stream), or JSON { modelKey } of a stored model",
});
const checkRef = makeAjv(false).compile(SliceModelRefSchema);

const postSchema = {
  tags: ["slices"],
  summary:
    "Slice a model with PrusaSlicer: 202 with a job to poll, or 200 with the finished job when this model and profile were sliced before",
  security: bearer,
  querystring: SliceQuerySchema,
  body: SliceBodySchema,
  response: {
    200: SliceJobSchema,
    202: SliceJobSchema,
    ...errorResponses(400, 401, 403, 413, 415, 422, 429, 503),
  },
};

const getSchema = {
  tags: ["slices"],
  summary: "A slicing job: its state, progress and result (figures and the G-code's key)",
  security: bearer,
  params: JobParams,
  response: { 200: SliceJobSchema, ...errorResponses(400, 401, 403, 404) },
};

const deleteSchema = {
  tags: ["slices"],
  summary: "Cancel a slicing job (202: its slicer is stopped; a finished job stays as it was)",
  security: bearer,
  params: JobParams,
  response: { 202: SliceJobSchema, ...errorResponses(400, 401, 403, 404) },
};

/** What to slice, from the request's body. */
function sourceOf(body: unknown): SliceSource {
  if (Buffer.isBuffer(body)) return { model: body };
  if (checkRef(body)) return body;
  throw badRequest('send the 3D file as the body (application/octet-stream) or JSON { "modelKey": "models/..." }');
}

const clientOf = (request: FastifyRequest) => {
  const p = principalOf(request);
  return `${p.role}:${p.sub}`;
};

/** Slicing jobs, for staff and the Shop. */
export async function sliceRoutes(app: HttpApp, { auth, slicing, uploadLimitBytes }: SliceRoutesDeps): Promise<void> {
  const staff = requireRole(auth, "operator", "manager", "service");

  app.post(
    "/slices",
    { ...uploadRoute(uploadLimitBytes), onRequest: staff, schema: postSchema },
    async (request, reply) => {
      const job = await slicing.request(sourceOf(request.body), request.query, clientOf(request));
      reply.status(job.state === "done" ? 200 : 202).header("cache-control", "private, no-store");
      return job;
    },
  );

  app.get("/slices/:id", { onRequest: staff, schema: getSchema }, async (request, reply) => {
    reply.header("cache-control", "private, no-store");
    return slicing.get(request.params.id);
  });

  app.delete("/slices/:id", { onRequest: staff, schema: deleteSchema }, async (request, reply) => {
    reply.status(202);
    return slicing.cancel(request.params.id);
  });
}
