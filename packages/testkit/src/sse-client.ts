import { type ClientRequest, type IncomingHttpHeaders, request } from "node:http";

/** One dispatched Server-Sent Event, as a browser's EventSource would see it (plus bare `id:` blocks). */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/**
 * A Server-Sent Events client for tests and benches, on node:http so a test can stop reading (`pause`)
 * and see what the server does about it. It parses the stream as the spec does: `data:` lines joined,
 * comments kept apart, `retry:` remembered; a block with only an `id:` is kept too (it moves the client's
 * last id without an event).
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  /** When each of `events` arrived (`performance.now()`), by index. */
  readonly arrivals: number[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  /** The body of an answer that is not an event stream (an error). */
  body = "";
  /** Resolves when the server ended the answer or the connection closed. */
  readonly ended: Promise<void>;
  #buffer = "";
  #current: SseEvent = {};
  #waiters = new Set<() => void>();
  #done = false;

  private constructor(
    private readonly req: ClientRequest,
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly res: import("node:http").IncomingMessage,
  ) {
    res.setEncoding("utf8");
    this.ended = new Promise((resolve) => {
      const done = () => {
        this.#done = true;
        this.#wake();
        resolve();
      };
      res.once("end", done);
      res.once("close", done);
      res.once("error", done);
    });
    res.on("data", (chunk: string) => {
      if (status === 200) this.#parse(chunk);
      else this.body += chunk;
      this.#wake();
    });
  }

  /** Opens `url`; resolves once the answer's head arrived. */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: "text/event-stream", ...headers }, agent: false });
      req.once("response", (res) => resolve(new SseClient(req, res.statusCode ?? 0, res.headers, res)));
      req.once("error", reject);
      req.end();
    });
  }

  get closed(): boolean {
    return this.#done;
  }

  /** The events of type `event` (default: every dispatched event with data). */
  dispatched(event?: string): SseEvent[] {
    return this.events.filter((e) => e.data !== undefined && (event === undefined || e.event === event));
  }

  /** Waits until `predicate` holds (checked on every chunk), or fails after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SSE client: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Stops reading: the server's writes pile up in the socket buffers, then in its own. */
  pause(): void {
    this.res.pause();
  }

  resume(): void {
    this.res.resume();
  }

  close(): void {
    this.req.destroy();
    this.res.destroy();
  }

  #wake() {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  #parse(chunk: string) {
    this.#buffer += chunk;
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? "";
    for (const line of lines) this.#line(line);
  }

  #line(line: string) {
    if (line === "") {
      if (Object.keys(this.#current).length > 0) {
        this.events.push(this.#current);
        this.arrivals.push(performance.now());
      }
      this.#current = {};
      return;
    }
    if (line.startsWith(":")) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data")
      this.#current.data = this.#current.data === undefined ? value : `${this.#current.data}\n${value}`;
    else if (field === "id") this.#current.id = value;
    else if (field === "event") this.#current.event = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }
}
