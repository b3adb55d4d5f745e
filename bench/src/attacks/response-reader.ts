/** Only this much of an answer's body is kept; the attacks read error codes, not payloads. */
const BODY_CAP_BYTES = 64 * 1024;
const HEAD_END = Buffer.from("\r\n\r\n");

/**
 * An HTTP/1.1 response read from raw socket bytes: status, headers, and a body framed by Content-Length,
 * chunked encoding, or the close. A hand-made reader rather than node:http's client, because an attack
 * must see an answer that arrives while its own body is still being sent, and node:http reports the
 * write's EPIPE instead when the server answers and hangs up.
 */
export class ResponseReader {
  status?: number;
  headers: Record<string, string> = {};
  #buffer = Buffer.alloc(0);
  #bodyStart = -1;

  /** Takes the next bytes; true once the response is complete (or its body past the cap). */
  feed(chunk: Buffer): boolean {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    if (this.#bodyStart < 0) this.#readHead();
    return this.complete;
  }

  #readHead(): void {
    const end = this.#buffer.indexOf(HEAD_END);
    if (end < 0) return;
    const [statusLine = "", ...lines] = this.#buffer.subarray(0, end).toString("latin1").split("\r\n");
    this.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon > 0) this.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    this.#bodyStart = end + HEAD_END.length;
  }

  get #raw(): Buffer {
    return this.#bodyStart < 0 ? Buffer.alloc(0) : this.#buffer.subarray(this.#bodyStart);
  }

  get complete(): boolean {
    if (this.#bodyStart < 0) return false;
    if (this.#raw.length >= BODY_CAP_BYTES) return true;
    const length = this.headers["content-length"];
    if (length !== undefined) return this.#raw.length >= Number(length);
    if (/chunked/i.test(this.headers["transfer-encoding"] ?? "")) return dechunk(this.#raw).done;
    // Neither: the body ends with the connection, which the caller sees.
    return false;
  }

  /** The body as text, decoded from chunks if need be. */
  get body(): string {
    const raw = this.#raw;
    const chunked = /chunked/i.test(this.headers["transfer-encoding"] ?? "");
    return (chunked ? dechunk(raw).body : raw).toString("utf8");
  }
}

/** Chunked transfer coding: `<hex size>\r\n<data>\r\n` ... `0\r\n\r\n`. */
function dechunk(raw: Buffer): { body: Buffer; done: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf("\r\n", at);
    if (eol < 0) return { body: Buffer.concat(parts), done: false };
    const size = Number.parseInt(raw.subarray(at, eol).toString("latin1"), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(parts), done: true };
    if (size === 0) return { body: Buffer.concat(parts), done: true };
    const start = eol + 2;
    if (raw.length < start + size + 2) {
      parts.push(raw.subarray(start, Math.min(raw.length, start + size)));
      return { body: Buffer.concat(parts), done: false };
    }
    parts.push(raw.subarray(start, start + size));
    at = start + size + 2;
  }
}
