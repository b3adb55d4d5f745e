import { CustomerPatchSchema, CustomerSchema } from "@printfab/contracts";
import {
  type Auth,
  bearer,
  errorResponses,
  type HttpApp,
  IdParams,
  orNotFound,
  principalOf,
  replyPrivate,
  requireRole,
} from "@printfab/platform";
import type { CustomerReads } from "../customer-reads.ts";
import type { CustomerWrites } from "../customer-writes.ts";

export interface CustomerRoutesDeps {
  auth: Auth;
  customers: CustomerReads;
  writes: CustomerWrites;
}

const getSchema = {
  tags: ["customers"],
  summary: "A customer's profile (a manager, or that customer)",
  security: bearer,
  params: IdParams,
  response: { 200: CustomerSchema, ...errorResponses(400, 401, 403, 404) },
};

const updateSchema = {
  tags: ["customers"],
  summary: "Change a customer's profile (a manager, or that customer)",
  security: bearer,
  params: IdParams,
  body: CustomerPatchSchema,
  response: { 200: CustomerSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
};

/** Customer profiles, for managers and for each customer's own. */
export async function customerRoutes(app: HttpApp, { auth, customers, writes }: CustomerRoutesDeps): Promise<void> {
  const managerOrSelf = requireRole(auth, "manager", "customer");

  app.get("/customers/:id", { onRequest: managerOrSelf, schema: getSchema }, async (request, reply) => {
    const { id } = request.params;
    const found = await customers.profileFor(principalOf(request), id);
    return replyPrivate(reply, "crm", orNotFound(found, `customer ${id}`));
  });

  app.patch("/customers/:id", { onRequest: managerOrSelf, schema: updateSchema }, async (request) =>
    writes.updateProfile(principalOf(request), request.params.id, request.body),
  );
}
