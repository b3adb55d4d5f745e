// Node's socket errors of a server that cannot be reached, or of a connection it dropped.
const SOCKET_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * True for a network failure rather than a refusal of the request. Shared by the adapters that tell an
 * outage (503) from a caller's mistake: the object store here, the database in platform.
 */
export function isSocketError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && SOCKET_ERRORS.has(code);
}
