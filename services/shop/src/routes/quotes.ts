import { ModelBodySchema, QuoteQuerySchema, QuoteSchema } from "@printfab/contracts";
import type { MesQuotesClient } from "@printfab/mes-client";
import { errorResponses, type HttpApp, modelBytes, uploadRoute } from "@printfab/platform";

export interface QuoteRoutesDeps {
  quotes: MesQuotesClient;
  /** How long MES may take over a quote. */
  quoteTimeoutMs: number;
  /** Largest 3D file accepted (413 above). */
  uploadLimitBytes: number;
}

const quoteSchema = {
  tags: ["quotes"],
  summary: "Instant quote: measurements and price of an uploaded 3D file (MES computes it)",
  querystring: QuoteQuerySchema,
  body: ModelBodySchema,
  response: { 200: QuoteSchema, ...errorResponses(400, 413, 415, 422, 502, 503, 504) },
};

/** Instant quotes for anyone: the Shop passes the file on to MES, which measures and prices it. */
export async function quoteRoutes(
  app: HttpApp,
  { quotes, quoteTimeoutMs, uploadLimitBytes }: QuoteRoutesDeps,
): Promise<void> {
  app.post("/quotes", { ...uploadRoute(uploadLimitBytes), schema: quoteSchema }, async (request) =>
    quotes.quote(modelBytes(request.body), request.query, quoteTimeoutMs),
  );
}
