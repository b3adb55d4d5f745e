import type { FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { definedOnly } from "./defined-only.ts";
import { AppError, badRequest } from "./errors.ts";
import type { HttpApp } from "./http-app.ts";

export interface EventStreamOptions {
  /** A `: ping` comment this often (ms), so clients and proxies see the connection alive. Default 15 s. */
  heartbeatMs?: number;
  /** How long a client waits before reconnecting (`retry:`, ms). Default 2 s. */
  retryMs?: number;
  /** A stream whose unsent bytes pass this is dropped: its client does not read. Default 256 KiB. */
  maxBufferedBytes?: number;
  /** Open streams in this app (503 above). Default 10,000. */
  maxStreams?: number;
  /** Open streams of one principal (429 above). Default 16. */
  maxStreamsPerPrincipal?: number;
  /** Runs `tick` every `ms` and returns its stop; tests pass their own. Default: an unref'd setInterval. */
  every?: (ms: number, tick: () => void) => () => void;
}

/** One event: `id:` (what the client sends back as `Last-Event-ID`), `event:` and `data:` lines. */
export interface StreamEvent {
  id?: number | string;
  event?: string;
  data?: string;
}

export const EVENT_STREAM_DEFAULTS = {
  heartbeatMs: 15_000,
  retryMs: 2000,
  maxBufferedBytes: 256 * 1024,
  maxStreams: 10_000,
  maxStreamsPerPrincipal: 16,
} as const;

const RETRY_AFTER_S = 2;
const ONE_LINE = /^[^\r\n]*$/;

/** The text of one event; a field must be one line (a multi-line `data` becomes several `data:` lines). */
export function formatEvent(e: StreamEvent): string {
  let text = "";
  if (e.id !== undefined) text += `id: ${oneLine(String(e.id))}\n`;
  if (e.event !== undefined) text += `event: ${oneLine(e.event)}\n`;
  if (e.data !== undefined) for (const line of e.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return `${text}\n`;
}

function oneLine(value: string): string {
  if (!ONE_LINE.test(value)) throw new Error("an event's id and name must be one line");
  return value;
}

const defaultEvery = (ms: number, tick: () => void) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * One open `text/event-stream` answer. Writes never queue without bound: a client that stops reading is
 * dropped once its unsent bytes pass the limit, and it reconnects (with `Last-Event-ID`) when it reads again.
 */
export class EventStream {
  #closed = false;
  readonly #onClose: Array<() => void> = [];

  constructor(
    private readonly reply: FastifyReply,
    private readonly maxBufferedBytes: number,
    /** When the credentials it was opened with expire (ms since the epoch): the heartbeat ends it then. */
    readonly expiresAtMs = Number.POSITIVE_INFINITY,
  ) {
    reply.raw.once("close", () => this.#finish());
    // A client that left while the stream's replay was read: its `close` has fired already, and writes to
    // the dead socket fail silently, so nothing else would ever free its place.
    if (reply.raw.destroyed || reply.raw.socket?.destroyed !== false) this.#finish();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends an event; false when the stream is closed (or was just dropped for not reading). */
  send(event: StreamEvent): boolean {
    return this.write(formatEvent(event));
  }

  /** A comment line: clients ignore it, connections and proxies see traffic. */
  comment(text: string): boolean {
    return this.write(`: ${oneLine(text)}\n\n`);
  }

  /** Writes raw SSE text, dropping the client when what it has not read passes the bound. */
  write(text: string): boolean {
    if (this.#closed) return false;
    const raw = this.reply.raw;
    raw.write(text);
    if (raw.writableLength > this.maxBufferedBytes) {
      // Ending would wait for the buffer to drain: the socket goes now, its unsent bytes with it.
      raw.destroy();
      this.#finish();
      return false;
    }
    return true;
  }

  /** Ends the answer cleanly: the client reconnects after `retry` and replays from its last id. */
  end(): void {
    if (this.#closed) return;
    this.reply.raw.end();
    this.#finish();
  }

  /** Runs `fn` once the stream is closed, by either side (at once if it already is). */
  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  #finish() {
    if (this.#closed) return;
    this.#closed = true;
    for (const fn of this.#onClose.splice(0)) fn();
  }
}

/** A place taken among the open streams, before the answer starts: `open` it, or `release` it. */
export interface StreamSlot {
  /** Starts the answer (status 200, SSE headers, `retry:`) and hands it over as a stream. */
  open(reply: FastifyReply): EventStream;
  /** Gives the place back (the request failed before its stream opened); a no-op after `open`. */
  release(): void;
}

/**
 * The event streams of one app: their limits (per app, 503 above; per principal, 429 above), one
 * heartbeat for all, and their end when the app closes, so a graceful shutdown does not wait on them.
 */
export class EventStreams {
  readonly #options: Required<Omit<EventStreamOptions, "every">>;
  readonly #open = new Set<EventStream>();
  readonly #perPrincipal = new Map<string, number>();
  #reserved = 0;
  #closing = false;

  constructor(app: HttpApp, options: EventStreamOptions = {}) {
    const { every = defaultEvery, ...limits } = options;
    this.#options = { ...EVENT_STREAM_DEFAULTS, ...definedOnly(limits) };
    const stopBeats = every(this.#options.heartbeatMs, () => this.#beat());
    app.addHook("preClose", async () => {
      this.#closing = true;
      stopBeats();
      for (const stream of [...this.#open]) stream.end();
    });
  }

  /** Streams open now (and places taken for streams about to open). */
  get size(): number {
    return this.#reserved;
  }

  /**
   * Takes a place for the principal `owner`'s stream, or refuses: 503 when the app has all it may hold,
   * 429 when the principal has. Take it before the stream's own work (its replay), and open or release it.
   */
  reserve(owner: string): StreamSlot {
    if (this.#closing) throw new AppError(503, "shutting_down", "the service is stopping", RETRY_AFTER_S);
    if (this.#reserved >= this.#options.maxStreams) {
      throw new AppError(503, "too_many_streams", "this instance holds all the event streams it may", RETRY_AFTER_S);
    }
    const mine = this.#perPrincipal.get(owner) ?? 0;
    if (mine >= this.#options.maxStreamsPerPrincipal) {
      throw new AppError(
        429,
        "too_many_streams",
        `at most ${this.#options.maxStreamsPerPrincipal} open event streams per user`,
        RETRY_AFTER_S,
      );
    }
    this.#reserved++;
    this.#perPrincipal.set(owner, mine + 1);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.#reserved--;
      const left = (this.#perPrincipal.get(owner) ?? 1) - 1;
      if (left > 0) this.#perPrincipal.set(owner, left);
      else this.#perPrincipal.delete(owner);
    };
    let opened = false;
    return {
      open: (reply) => {
        opened = true;
        const stream = this.#start(reply);
        stream.onClose(release);
        return stream;
      },
      release: () => {
        if (!opened) release();
      },
    };
  }

  #start(reply: FastifyReply): EventStream {
    reply.hijack();
    reply.raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    });
    const expiresAt = reply.request.principalExpiresAt;
    const stream = new EventStream(reply, this.#options.maxBufferedBytes, expiresAt ? expiresAt * 1000 : undefined);
    this.#open.add(stream);
    stream.onClose(() => this.#open.delete(stream));
    stream.write(`retry: ${this.#options.retryMs}\n\n`);
    if (this.#closing) stream.end();
    return stream;
  }

  #beat() {
    const now = Date.now();
    for (const stream of [...this.#open]) {
      // A stream lives no longer than the session (or the ticket's session) that opened it: a signed-out or
      // expired client's reconnection is refused, and the page asks to sign in again.
      if (stream.expiresAtMs <= now) stream.end();
      else stream.comment("ping");
    }
  }
}

/** The principal a stream counts against. */
export const streamOwner = (request: FastifyRequest): string =>
  request.principal ? `${request.principal.role}:${request.principal.sub}` : `ip:${request.ip}`;

const LAST_EVENT_ID = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/**
 * The query string of an event-stream route: `lastEventId` for programs that cannot set the header, and
 * the browser's `ticket` (read by `requireRole` on routes with `config: { ticket: true }`).
 */
export const EventStreamQuery = Type.Object(
  {
    lastEventId: Type.Optional(LAST_EVENT_ID),
    ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  },
  { additionalProperties: false },
);

/** The seq a client saw last: the `Last-Event-ID` header (what a reconnecting browser sends), else `?lastEventId=`. */
export function lastEventIdOf(request: FastifyRequest): number | undefined {
  const header = request.headers["last-event-id"];
  if (header === undefined) return (request.query as { lastEventId?: number }).lastEventId;
  if (typeof header !== "string" || !/^\d{1,15}$/.test(header.trim())) {
    throw badRequest("Last-Event-ID must be the id of an event this stream sent (a non-negative integer)");
  }
  return Number(header.trim());
}
