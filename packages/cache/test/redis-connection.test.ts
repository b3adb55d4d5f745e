import { TEST_REDIS_URL } from "@printfab/testkit";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { connectRedis, waitUntilReady } from "../src/redis-connection.ts";
import { sleep, until } from "./support/caches.ts";

describe("connectRedis", () => {
  it("a reconnect asked while a connection attempt is under way does not end the connection for good", async () => {
    // What plain ioredis does (the reason for the revival): the interrupted attempt ends the client.
    const raw = new Redis(TEST_REDIS_URL, { retryStrategy: () => 50 });
    raw.on("error", () => undefined);
    expect(raw.status).toBe("connecting");
    raw.disconnect(true);
    await sleep(300);
    expect(raw.status).toBe("end");

    const ours = connectRedis({ url: TEST_REDIS_URL });
    expect(ours.status).toBe("connecting");
    ours.disconnect(true);
    await until(() => ours.status === "ready", 3000, "the connection back");
    expect(await ours.ping()).toBe("PONG");
    ours.disconnect();
  });

  it("disconnect() and quit() still end it, also in the middle of an attempt", async () => {
    const ready = connectRedis({ url: TEST_REDIS_URL });
    await waitUntilReady(ready);
    ready.disconnect();
    const connecting = connectRedis({ url: TEST_REDIS_URL });
    connecting.disconnect();
    const quitting = connectRedis({ url: TEST_REDIS_URL });
    await waitUntilReady(quitting);
    await quitting.quit();
    await sleep(300);
    expect([ready.status, connecting.status, quitting.status]).toEqual(["end", "end", "end"]);
  });
});
