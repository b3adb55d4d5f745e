import { ApiError, apiError } from "../lib/api-error.ts";

/**
 * The pages' only way to the API. The session is an HttpOnly cookie the browser sends itself
 * (`credentials: "same-origin"`): no script on the page ever holds a token.
 */

export interface ApiOptions {
  method?: "GET" | "POST" | "DELETE";
  /** JSON-encoded unless it is binary (a model upload). */
  body?: unknown;
  signal?: AbortSignal;
  /** Another service's origin (the dashboard reading several); its cookie goes along if CORS allows. */
  base?: string;
}

export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const { method = "GET", body, signal, base = "" } = options;
  const binary = body instanceof Blob || body instanceof ArrayBuffer;
  const init: RequestInit = {
    method,
    credentials: base ? "include" : "same-origin",
    headers: body === undefined ? {} : { "content-type": binary ? "application/octet-stream" : "application/json" },
    ...(body === undefined ? {} : { body: binary ? (body as BodyInit) : JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  };
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, init);
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "network", "The service could not be reached. Check the connection and try again.");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json = parseJson(text);
  if (!response.ok) throw apiError(response.status, json, response.headers.get("retry-after"));
  return json as T;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** The message to show for any failure. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
