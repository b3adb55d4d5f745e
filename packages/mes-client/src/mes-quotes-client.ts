import type { Quote, QuoteQuery } from "@printfab/contracts";
import { AppError, type ErrorBody, type NeighbourClient } from "@printfab/platform";

/**
 * MES's refusals that are the customer's to read, as MES worded them: the file (422), its size (413), or
 * its 3D workers all busy (503, worth a retry soon).
 */
const PASSED_ON = new Set([413, 422, 503]);
const BUSY_RETRY_AFTER_S = 2;

/** How the Shop gets instant quotes: MES measures and prices the file. */
export class MesQuotesClient {
  constructor(private readonly mes: NeighbourClient) {}

  /** `timeoutMs`: MES computes a quote under its own deadline, so the caller waits a little longer. */
  async quote(model: Buffer, options: QuoteQuery, timeoutMs: number): Promise<Quote> {
    const query = new URLSearchParams(Object.entries(options).map(([k, v]): [string, string] => [k, String(v)]));
    const res = await this.mes.request<Quote | Partial<ErrorBody>>("POST", `/quotes?${query}`, model, { timeoutMs });
    if (PASSED_ON.has(res.status)) {
      const error = (res.body as Partial<ErrorBody>).error;
      throw new AppError(
        res.status,
        error?.code ?? "invalid_model",
        error?.message ?? "MES refused the model",
        res.status === 503 ? BUSY_RETRY_AFTER_S : undefined,
      );
    }
    if (res.status !== 200) throw new AppError(502, "neighbour_error", `MES refused a quote request (${res.status})`);
    return res.body as Quote;
  }
}
