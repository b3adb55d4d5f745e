import { fileURLToPath } from "node:url";
import {
  CACHE_PREFIX,
  CRM_ORDER_LISTS_TAG,
  CustomerPatchSchema,
  CustomerSchema,
  MesOrdersClient,
  OrderPageSchema,
  OrderSchema,
  OrderStatusSchema,
  orderKey,
} from "@printfab/contracts";
import {
  type Auth,
  bearer,
  type CacheFactory,
  type Config,
  createHttpApp,
  createNeighbourClient,
  type Database,
  databaseHealthCheck,
  type EdgeSettings,
  errorResponses,
  forbidden,
  type HttpApp,
  Id,
  IdParams,
  type Logger,
  notFound,
  Pagination,
  type Principal,
  principalOf,
  registerHealth,
  replyPrivate,
  requireRole,
  serviceToken,
} from "@printfab/platform";
import { Type } from "typebox";
import { CustomerStore } from "./customer-store.ts";

export const CRM_SCHEMA = "crm";
export const crmMigrationsDir = fileURLToPath(new URL("../migrations", import.meta.url));

export interface CrmDeps {
  /** Client deadlines and limits (the configuration\'s defaults when absent). */
  edge?: EdgeSettings;
  caches: CacheFactory;
  ttl: Config["ttl"];
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

/**
 * Without a verification step, a customer's own email change would answer 409 for an address another
 * customer holds, which tells who is a customer. Their email changes go through a manager; a form that
 * sends the unchanged address back is fine.
 */
async function assertKeepsEmail(customers: CustomerStore, id: number, email: string | undefined): Promise<void> {
  if (email === undefined) return;
  const current = await customers.getCustomer(id);
  if (current && current.email.toLowerCase() !== email.toLowerCase()) {
    throw forbidden("a customer's email address is changed by a manager");
  }
}

/** CRM API: customers and their orders, for managers (and each customer's own profile). */
export async function createCrmApp(deps: CrmDeps): Promise<HttpApp> {
  const app = await createHttpApp({
    service: "crm",
    description: "Customers and their orders, for managers.",
    logger: deps.logger,
    edge: deps.edge,
    auth: deps.auth,
    caches: deps.caches,
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
  const redisCheck = deps.caches.healthCheck();
  registerHealth(app, "crm", [databaseHealthCheck(deps.db), ...(redisCheck ? [redisCheck] : [])], {
    revealDetails: (request) => app.admin.isAdmin(request),
  });
  const customerCache = await deps.caches.create("crm_customers", CACHE_PREFIX.crmCustomers);
  // Orders change status under operators' hands: L2 only, so an acknowledged change is seen at once.
  const orderCache = await deps.caches.create("crm_orders", CACHE_PREFIX.crmOrders, { l1MaxBytes: 0 });
  const customerKey = (id: number) => `customer:${id}`;
  // Authorization (assertOwnProfile) always runs before this read: the key is the profile's own id.
  const readCustomer = (id: number) =>
    customerCache.fetch(customerKey(id), () => customers.getCustomer(id), {
      ttl: deps.ttl.customer * 1000,
      negativeTtl: 5000,
    });
  const managerOrSelf = requireRole(deps.auth, "manager", "customer");
  const manager = requireRole(deps.auth, "manager");

  app.get(
    "/customers/:id",
    {
      onRequest: managerOrSelf,
      schema: {
        tags: ["customers"],
        summary: "A customer's profile (a manager, or that customer)",
        security: bearer,
        params: IdParams,
        response: { 200: CustomerSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      assertOwnProfile(principalOf(request), request.params.id);
      const found = await readCustomer(request.params.id);
      if (!found.value) throw notFound(`customer ${request.params.id}`);
      return replyPrivate(reply, "crm", { ...found, value: found.value });
    },
  );

  app.patch(
    "/customers/:id",
    {
      onRequest: managerOrSelf,
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
      const principal = principalOf(request);
      assertOwnProfile(principal, request.params.id);
      if (principal.role === "customer") await assertKeepsEmail(customers, request.params.id, request.body.email);
      const customer = await customers.updateCustomer(request.params.id, request.body);
      if (!customer) throw notFound(`customer ${request.params.id}`);
      await customerCache
        .invalidate([customerKey(customer.id)])
        .catch((err) => app.log.warn({ err: (err as Error).message }, "customer invalidation deferred"));
      return customer;
    },
  );

  app.get(
    "/orders",
    {
      onRequest: manager,
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
    async (request, reply) => {
      const { customerId, status, limit, offset } = request.query;
      if (customerId !== undefined && !(await readCustomer(customerId)).value) throw notFound(`customer ${customerId}`);
      const found = await orderCache.fetch(
        `list:${customerId ?? ""}:${status ?? ""}:${limit}:${offset}`,
        () => mesOrders.listOrders(request.query),
        {
          ttl: deps.ttl.order * 1000,
          tags: [CRM_ORDER_LISTS_TAG],
        },
      );
      return replyPrivate(reply, "crm", found);
    },
  );

  app.get(
    "/orders/:id",
    {
      onRequest: manager,
      schema: {
        tags: ["orders"],
        summary: "One order with its status history (manager)",
        security: bearer,
        params: IdParams,
        response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 502, 504) },
      },
    },
    async (request, reply) => {
      const found = await orderCache.fetch(orderKey(request.params.id), () => mesOrders.getOrder(request.params.id), {
        ttl: deps.ttl.order * 1000,
        negativeTtl: 2000,
      });
      if (!found.value) throw notFound(`order ${request.params.id}`);
      return replyPrivate(reply, "crm", { ...found, value: found.value });
    },
  );

  return app;
}
