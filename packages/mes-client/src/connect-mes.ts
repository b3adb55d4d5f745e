import { type Auth, createNeighbourClient, serviceToken } from "@printfab/platform";
import { MesOrdersClient } from "./mes-orders-client.ts";
import { MesQuotesClient } from "./mes-quotes-client.ts";

/** Where a neighbour of MES finds it, how long it waits for it, and what signs its service tokens. */
export interface MesNeighbourDeps {
  auth: Auth;
  mesUrl: string;
  neighbourTimeoutMs: number;
}

export interface MesClient {
  orders: MesOrdersClient;
  quotes: MesQuotesClient;
}

/** MES as `caller` (the Shop, the CRM) reaches it: one HTTP client under a deadline, signed as `caller`. */
export function connectMes(caller: string, deps: MesNeighbourDeps): MesClient {
  const mes = createNeighbourClient({
    name: "MES",
    baseUrl: deps.mesUrl,
    timeoutMs: deps.neighbourTimeoutMs,
    token: serviceToken(deps.auth, caller),
  });
  return { orders: new MesOrdersClient(mes), quotes: new MesQuotesClient(mes) };
}
