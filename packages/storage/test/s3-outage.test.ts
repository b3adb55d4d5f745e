import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { S3ServiceException } from "@aws-sdk/client-s3";
import { startTestS3, type TestS3 } from "@printfab/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectStoreUnavailableError } from "../src/object-store.ts";
import { createS3Store } from "../src/s3-store.ts";

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (err: unknown) => err,
  );

const expectUnavailable = async (p: Promise<unknown>) => {
  const err = await rejection(p);
  expect(err).toBeInstanceOf(ObjectStoreUnavailableError);
  // The fields platform's toErrorResponse recognises (its `isDependencyFailure`).
  expect(err).toMatchObject({ code: "dependency_unavailable", dependency: "object_store", retryAfterSeconds: 5 });
  expect((err as Error).cause).toBeDefined();
  return err as ObjectStoreUnavailableError;
};

/** A loopback HTTP server; `answer` decides what it does with each request (never answering is one). */
async function listen(answer: Parameters<typeof createServer>[1]) {
  const sockets = new Set<Socket>();
  const server: Server = createServer(answer);
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe("S3 store outages", () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startTestS3("outage-test");
  });
  afterAll(() => s3.stop());

  it("turns a stopped S3 server into ObjectStoreUnavailableError on every operation", async () => {
    const stopping = await startTestS3("stopping");
    const store = createS3Store({ ...stopping, requestTimeoutMs: 1000 });
    await store.ensureReady();
    await store.put("a/b", Buffer.from("x"));
    await stopping.stop();

    const err = await expectUnavailable(store.get("a/b"));
    expect(err.statusCode).toBe(503);
    await expectUnavailable(store.getStream("a/b"));
    await expectUnavailable(store.head("a/b"));
    await expectUnavailable(store.put("a/c", Buffer.from("y")));
    await expectUnavailable(store.delete("a/b"));
    await expectUnavailable(store.check());
    await expectUnavailable(store.ensureReady());
  });

  it("keeps refused requests (unknown key, missing bucket) and a missing object as they are", async () => {
    const store = createS3Store(s3);
    await store.ensureReady();
    expect(await store.get("no/such")).toBeNull();
    for (const wrong of [{ accessKeyId: "NOPE" }, { bucket: "no-such-bucket" }]) {
      const err = await rejection(createS3Store({ ...s3, ...wrong }).check());
      expect(err).toBeInstanceOf(S3ServiceException);
      expect([403, 404]).toContain((err as S3ServiceException).$metadata.httpStatusCode);
    }
  });

  it("turns a 503 SlowDown and a 500 answer into ObjectStoreUnavailableError", async () => {
    // A real server standing in for an overloaded S3 endpoint: s3rver cannot be made to answer 5xx.
    for (const [status, code] of [
      [503, "SlowDown"],
      [500, "InternalError"],
    ] as const) {
      const overloaded = await listen((_req, res) => {
        res.writeHead(status, { "content-type": "application/xml" });
        res.end(`<?xml version="1.0"?><Error><Code>${code}</Code><Message>try later</Message></Error>`);
      });
      const store = createS3Store({ ...s3, endpoint: overloaded.endpoint });
      try {
        await expectUnavailable(store.get("a/b"));
        await expectUnavailable(store.check());
      } finally {
        await overloaded.close();
      }
    }
  });

  it("turns a server that never answers into ObjectStoreUnavailableError within the request timeout", async () => {
    const hung = await listen(() => {});
    const store = createS3Store({ ...s3, endpoint: hung.endpoint, requestTimeoutMs: 300 });
    const started = performance.now();
    try {
      await expectUnavailable(store.head("a/b"));
      // Two attempts of 300 ms and the SDK's backoff between them.
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await hung.close();
    }
  });
});
