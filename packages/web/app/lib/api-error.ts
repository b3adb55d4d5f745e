/** An API's refusal, told in words a person can act on. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The error of a failed answer: the API's `{ error: { code, message } }` when it sent one. */
export function apiError(status: number, body: unknown, retryAfter: string | null): ApiError {
  const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof err?.code === "string" ? err.code : `http_${status}`;
  const said = typeof err?.message === "string" ? err.message : "";
  return new ApiError(status, code, explain(status, said, retryAfter));
}

function explain(status: number, said: string, retryAfter: string | null): string {
  const wait = retryAfter && /^\d+$/.test(retryAfter) ? ` Try again in ${retryAfter} s.` : " Try again shortly.";
  switch (status) {
    case 401:
      return "Please sign in first.";
    case 403:
      return `You are not allowed to do this${said ? `: ${said}` : "."}`;
    case 409:
      return `Not possible any more: ${said || "the order changed meanwhile"}.`;
    case 413:
      return `The file is too large${said ? `: ${said}` : "."}`;
    case 415:
      return "This kind of file is not accepted.";
    case 422:
      return `The file could not be read${said ? `: ${said}` : "."}`;
    case 429:
      return `Too many requests.${wait}`;
    case 502:
    case 503:
    case 504:
      return `The service is busy or unreachable.${wait}`;
    default:
      return said || `The request failed (HTTP ${status}).`;
  }
}
