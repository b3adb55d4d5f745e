import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { root, stopProcess, track } from "./processes.ts";

const server = fileURLToPath(new URL("./limit-server.ts", import.meta.url));

export type Shape = "list" | "product" | "preview" | "model";

/** One real answer per catalogue route shape: what the limit server sends back, byte for byte. */
export type LimitAnswers = Record<
  Shape,
  { path: string; status: number; headers: Record<string, string>; body: Uint8Array }
>;

/** Headers Node and Fastify write themselves on every answer: the limit server gets its own. */
const PER_CONNECTION = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

/**
 * Reads each route shape's answer from the cache-on Shop twice and keeps the second: a cache hit, as the
 * steady catalogue mostly answers (a miss's Cache-Status is longer). The hottest keys, as Zipf draws rank 0.
 */
export async function captureAnswers(shopUrl: string, category: string): Promise<LimitAnswers> {
  const urls: Record<Shape, { url: string; path: string }> = {
    list: { url: `/products?category=${category}&limit=20&offset=0`, path: "/products" },
    product: { url: "/products/1", path: "/products/:id" },
    preview: { url: "/products/1/preview.png", path: "/products/:id/preview.png" },
    model: { url: "/products/1/model", path: "/products/:id/model" },
  };
  const answers = {} as LimitAnswers;
  for (const [shape, { url, path }] of Object.entries(urls) as Array<[Shape, { url: string; path: string }]>) {
    let answer: LimitAnswers[Shape] | undefined;
    for (let i = 0; i < 2; i++) {
      const res = await request(`${shopUrl}${url}`);
      const body = Buffer.from(await res.body.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        if (!PER_CONNECTION.has(k) && typeof v === "string") headers[k] = v;
      answer = { path, status: res.statusCode, headers, body };
    }
    if (answer?.status !== 200)
      throw new Error(`the Shop answered ${answer?.status} to ${url}: no limit row without it`);
    answers[shape] = answer;
  }
  return answers;
}

export interface LimitServer {
  url: string;
  fastify: string;
  stop(): Promise<void>;
}

function nextMessage(child: ChildProcess, timeout: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, m?: unknown) => {
      clearTimeout(timer);
      child.off("message", onMessage).off("exit", onExit);
      if (err) reject(err);
      else resolve(m);
    };
    const onMessage = (m: unknown) => done(null, m);
    const onExit = (code: number | null) => done(new Error(`the limit server exited (${code})`));
    const timer = setTimeout(() => done(new Error(timeout)), 30_000);
    child.on("message", onMessage).on("exit", onExit);
  });
}

export async function startLimitServer(answers: LimitAnswers): Promise<LimitServer> {
  const child = track(
    spawn(process.execPath, ["--import", "tsx", server], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      // Structured clone keeps the bodies binary on the way.
      serialization: "advanced",
    }),
  );
  try {
    // It asks for the answers once it listens for them: a message sent earlier could be lost.
    await nextMessage(child, "the limit server did not start in 30 s");
    child.send(answers);
    const { port, fastify } = (await nextMessage(child, "the limit server did not listen in 30 s")) as {
      port: number;
      fastify: string;
    };
    return { url: `http://127.0.0.1:${port}`, fastify, stop: () => stopProcess(child) };
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
}
