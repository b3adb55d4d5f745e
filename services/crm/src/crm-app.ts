import { fileURLToPath } from "node:url";
import {
  CustomerPatchSchema,
  CustomerSchema,
  MesOrdersClient,
  OrderPageSchema,
  OrderSchema,
  OrderStatusSchema,
} from "@printfab/contracts";
import {
  type Auth,
  bearer,
  createHttpApp,
  createNeighbourClient,
  type Database,
  databaseHealthCheck,
  errorResponses,
  type HttpApp,
  Id,
  IdParams,
  type Logger,
  notFound,
  Pagination,
  type Principal,
  principalOf,
  registerHealth,
  requireRole,
  serviceToken,
} from "@printfab/platform";
import { Type } from "typebox";
import { CustomerStore } from "./customer-store.ts";

export const CRM_SCHEMA = "crm";
export const crmMigrationsDir = fileURLToPath(new URL("../migrations", import.meta.url));

export interface CrmDeps {
  db: Database;
  auth: Auth;
  logger: Logger;
  mesUrl: string;
  neighbourTimeoutMs: number;
}

/** A customer may act on their own profile only; another's is answered as missing (404), never 403. */
function assertOwnProfile(principal: Principal, id: number): void {
  if (principal.role === "customer" && principal.sub !== String(id)) throw notFound(`customer ${id}`);
}

/** CRM API: customers and their orders, for managers (and each customer's own profile). */
export async function createCrmApp(deps: CrmDeps): Promise<HttpApp> {
  const app = await createHttpApp({
    service: "crm",
    description: "Customers and their orders, for managers.",
    logger: deps.logger,
  });
  const customers = new CustomerStore(deps.db);
  const mesOrders = new MesOrdersClient(
    createNeighbourClient({
      name: "MES",
      baseUrl: deps.mesUrl,
      timeoutMs: deps.neighbourTimeoutMs,
      token: serviceToken(deps.auth, "crm"),
    }),
  );
  registerHealth(app, "crm", [databaseHealthCheck(deps.db)]);
  const managerOrSelf = requireRole(deps.auth, "manager", "customer");
  const manager = requireRole(deps.auth, "manager");

  app.get(
    "/customers/:id",
    {
      preHandler: managerOrSelf,
      schema: {
        tags: ["customers"],
        summary: "A customer's profile (a manager, or that customer)",
        security: bearer,
        params: IdParams,
        response: { 200: CustomerSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      assertOwnProfile(principalOf(request), request.params.id);
      const customer = await customers.getCustomer(request.params.id);
      if (!customer) throw notFound(`customer ${request.params.id}`);
      return customer;
    },
  );

  app.patch(
    "/customers/:id",
    {
      preHandler: managerOrSelf,
      schema: {
        tags: ["customers"],
        summary: "Change a customer's profile (a manager, or that customer)",
        security: bearer,
        params: IdParams,
        body: CustomerPatchSchema,
        response: { 200: CustomerSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      assertOwnProfile(principalOf(request), request.params.id);
      const customer = await customers.updateCustomer(request.params.id, request.body);
      if (!customer) throw notFound(`customer ${request.params.id}`);
      return customer;
    },
  );

  app.get(
    "/orders",
    {
      preHandler: manager,
      schema: {
        tags: ["orders"],
        summary: "Orders, of one customer or all (manager)",
        security: bearer,
        querystring: Type.Object(
          { customerId: Type.Optional(Id), status: Type.Optional(OrderStatusSchema), ...Pagination },
          { additionalProperties: false },
        ),
        response: { 200: OrderPageSchema, ...errorResponses(400, 401, 403, 404, 502, 504) },
      },
    },
    async (request) => {
      const { customerId } = request.query;
      if (customerId !== undefined && !(await customers.exists(customerId))) throw notFound(`customer ${customerId}`);
      return mesOrders.listOrders(request.query);
    },
  );

  app.get(
    "/orders/:id",
    {
      preHandler: manager,
      schema: {
        tags: ["orders"],
        summary: "One order with its status history (manager)",
        security: bearer,
        params: IdParams,
        response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 502, 504) },
      },
    },
    async (request) => {
      const order = await mesOrders.getOrder(request.params.id);
      if (!order) throw notFound(`order ${request.params.id}`);
      return order;
    },
  );

  return app;
}
