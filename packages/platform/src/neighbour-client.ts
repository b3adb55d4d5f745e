import { AppError } from "./errors.ts";
import { traceNeighbourCall } from "./tracing-client.ts";

export interface NeighbourResponse<T> {
  status: number;
  body: T;
}

export interface NeighbourClient {
  /** A Buffer body is sent as it is (application/octet-stream), anything else as JSON. */
  request<T>(
    method: "GET" | "POST" | "PATCH",
    path: string,
    body?: unknown,
    options?: { timeoutMs?: number },
  ): Promise<NeighbourResponse<T>>;
}

/**
 * Calls another Printfab service over HTTP with a deadline. A 2xx, 4xx or 503 answer is returned for the
 * caller to interpret; no answer in time is a 504, an unreachable neighbour or its other 5xx a 502.
 */
export function createNeighbourClient(opts: {
  name: string;
  baseUrl: string;
  timeoutMs: number;
  token: () => string;
}): NeighbourClient {
  return {
    async request<T>(method: string, path: string, body?: unknown, options?: { timeoutMs?: number }) {
      const url = new URL(path, opts.baseUrl);
      const binary = Buffer.isBuffer(body);
      const headers: Record<string, string> = {
        authorization: `Bearer ${opts.token()}`,
        ...(body === undefined ? {} : { "content-type": binary ? "application/octet-stream" : "application/json" }),
      };
      const payload = body === undefined ? undefined : binary ? (body as Buffer) : JSON.stringify(body);
      const timeoutMs = options?.timeoutMs ?? opts.timeoutMs;
      const send = () => exchange<T>(opts.name, url, { method, headers, body: payload }, timeoutMs);
      return traceNeighbourCall(opts.name, method, url, headers, send);
    },
  };
}

/** One request and its answer: the deadline and the mapping of failures that `createNeighbourClient` promises. */
async function exchange<T>(
  name: string,
  url: URL,
  init: { method: string; headers: Record<string, string>; body: string | Buffer | undefined },
  timeoutMs: number,
): Promise<NeighbourResponse<T>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const errName = (err as Error).name;
    if (errName === "TimeoutError" || errName === "AbortError") {
      throw new AppError(504, "neighbour_timeout", `${name} did not answer within ${timeoutMs} ms`);
    }
    throw new AppError(502, "neighbour_unavailable", `${name} is unreachable`);
  }
  let parsed: unknown;
  try {
    parsed = await res.json();
  } catch {
    throw new AppError(502, "neighbour_error", `${name} sent an unreadable answer (${res.status})`);
  }
  // A 503 is the neighbour saying "busy, retry": the caller may pass it on (a quote with Retry-After).
  if (res.status >= 500 && res.status !== 503) {
    throw new AppError(502, "neighbour_error", `${name} failed (${res.status})`);
  }
  return { status: res.status, body: parsed as T };
}
