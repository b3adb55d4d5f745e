import { OrderPageSchema, OrderQuerySchema, OrderSchema } from "@printfab/contracts";
import {
  type Auth,
  bearer,
  errorResponses,
  type HttpApp,
  IdParams,
  notFound,
  orNotFound,
  replyPrivate,
  requireRole,
} from "@printfab/platform";
import type { CustomerReads } from "../customer-reads.ts";
import type { OrderReads } from "../order-reads.ts";

export interface OrderRoutesDeps {
  auth: Auth;
  customers: CustomerReads;
  orders: OrderReads;
}

const listSchema = {
  tags: ["orders"],
  summary: "Orders, of one customer or all (manager)",
  security: bearer,
  querystring: OrderQuerySchema,
  response: { 200: OrderPageSchema, ...errorResponses(400, 401, 403, 404, 502, 504) },
};

const getSchema = {
  tags: ["orders"],
  summary: "One order with its status history (manager)",
  security: bearer,
  params: IdParams,
  response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 502, 504) },
};

/** Customers' orders for managers, as MES (which owns them) answers. */
export async function orderRoutes(app: HttpApp, { auth, customers, orders }: OrderRoutesDeps): Promise<void> {
  const manager = requireRole(auth, "manager");

  app.get("/orders", { onRequest: manager, schema: listSchema }, async (request, reply) => {
    const { customerId } = request.query;
    if (customerId !== undefined && !(await customers.customer(customerId)).value) {
      throw notFound(`customer ${customerId}`);
    }
    return replyPrivate(reply, "crm", await orders.orders(request.query));
  });

  app.get("/orders/:id", { onRequest: manager, schema: getSchema }, async (request, reply) => {
    const { id } = request.params;
    return replyPrivate(reply, "crm", orNotFound(await orders.order(id), `order ${id}`));
  });
}
