import type { AppError, NeighbourClient } from "@printfab/platform";
import { describe, expect, it } from "vitest";
import { MesOrdersClient } from "../src/mes-orders-client.ts";
import { MesQuotesClient } from "../src/mes-quotes-client.ts";

/** A MES that answers every request with `status` and `body`, and remembers what it was asked. */
function fakeMes(status: number, body: unknown) {
  const asked: Array<{ method: string; path: string; timeoutMs?: number }> = [];
  const client: NeighbourClient = {
    async request<T>(method: string, path: string, _body?: unknown, options?: { timeoutMs?: number }) {
      asked.push({ method, path, timeoutMs: options?.timeoutMs });
      return { status, body: body as T };
    },
  };
  return { client, asked };
}
const refusal = async (p: Promise<unknown>) => (await p.catch((e) => e)) as AppError;

describe("MesOrdersClient", () => {
  it("reads a missing order as null, and any other answer but 200 as MES failing us (502)", async () => {
    expect(await new MesOrdersClient(fakeMes(404, {}).client).getOrder(7)).toBeNull();
    const err = await refusal(new MesOrdersClient(fakeMes(403, {}).client).getOrder(7));
    expect([err.statusCode, err.code]).toEqual([502, "neighbour_error"]);
  });

  it("asks for a page with only the filters that are set", async () => {
    const mes = fakeMes(200, { items: [], total: 0, limit: 5, offset: 10 });
    await new MesOrdersClient(mes.client).listOrders({ limit: 5, offset: 10, status: "packed" });
    expect(mes.asked).toEqual([{ method: "GET", path: "/orders?limit=5&offset=10&status=packed" }]);
  });
});

describe("MesQuotesClient", () => {
  const options = { material: "PLA" as const, infill: 0.2, layerHeight: 0.2, quantity: 2 };
  const quote = (status: number, body: unknown) =>
    new MesQuotesClient(fakeMes(status, body).client).quote(Buffer.from("solid x"), options, 1234);

  it("sends every pricing option, under the caller's deadline", async () => {
    const mes = fakeMes(200, { quote: {} });
    await new MesQuotesClient(mes.client).quote(Buffer.from("solid x"), options, 1234);
    expect(mes.asked).toEqual([
      { method: "POST", path: "/quotes?material=PLA&infill=0.2&layerHeight=0.2&quantity=2", timeoutMs: 1234 },
    ]);
  });

  it("passes MES's refusals of the file on as MES worded them; busy with a retry", async () => {
    const bad = await refusal(quote(422, { error: { code: "invalid_model", message: "OBJ has no faces" } }));
    expect([bad.statusCode, bad.code, bad.message]).toEqual([422, "invalid_model", "OBJ has no faces"]);
    const big = await refusal(quote(413, { error: { code: "model_too_large", message: "too many" } }));
    expect([big.statusCode, big.code]).toEqual([413, "model_too_large"]);
    const busy = await refusal(quote(503, { error: { code: "busy", message: "all busy" } }));
    expect([busy.statusCode, busy.retryAfterSeconds]).toEqual([503, 2]);
  });

  it("answers 502 when MES refuses the Shop itself", async () => {
    const err = await refusal(quote(401, { error: { code: "unauthorized", message: "no" } }));
    expect([err.statusCode, err.code]).toEqual([502, "neighbour_error"]);
  });
});
