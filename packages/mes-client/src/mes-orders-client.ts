import type { NewOrder, Order, OrderPage, OrderQueueQuery } from "@printfab/contracts";
import { AppError, type NeighbourClient } from "@printfab/platform";

const unexpected = (status: number) =>
  new AppError(502, "neighbour_error", `MES refused a request of ours (${status})`);

/** How the Shop and the CRM read and place orders: MES owns them, and they ask it over HTTP. */
export class MesOrdersClient {
  constructor(private readonly mes: NeighbourClient) {}

  async getOrder(id: number): Promise<Order | null> {
    const res = await this.mes.request<Order>("GET", `/orders/${id}`);
    if (res.status === 404) return null;
    if (res.status !== 200) throw unexpected(res.status);
    return res.body;
  }

  /** A page of MES's queue: oldest first unless `sort` is `newest`. */
  async listOrders(q: OrderQueueQuery): Promise<OrderPage> {
    const params = new URLSearchParams({ limit: String(q.limit), offset: String(q.offset) });
    if (q.customerId !== undefined) params.set("customerId", String(q.customerId));
    if (q.status) params.set("status", q.status);
    if (q.sort) params.set("sort", q.sort);
    const res = await this.mes.request<OrderPage>("GET", `/orders?${params}`);
    if (res.status !== 200) throw unexpected(res.status);
    return res.body;
  }

  async placeOrder(order: NewOrder): Promise<Order> {
    const res = await this.mes.request<Order>("POST", "/orders", order);
    if (res.status !== 201) throw unexpected(res.status);
    return res.body;
  }
}
