import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cacheFactory, deferred, type Tier, until } from "./support/caches.ts";
import { type RedisServer, startRedisServer } from "./support/redis-server.ts";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

const TAGS = { tags: ["items"] };

describe.each(["redis", "memory"] as Tier[])("alsoFill over %s L2", (tier) => {
  let factory: ReturnType<typeof cacheFactory>;
  let n = 0;
  const pair = async () => {
    factory ??= cacheFactory(tier, redis.url);
    const prefix = `${tier}${++n}`;
    return [await factory.make({ prefix }), await factory.make({ prefix })] as const;
  };
  afterEach(async () => {
    await factory?.closeAll();
  });

  it("caches what a list load read: its rows are hits here (L1) and in another process (L2), with no load", async () => {
    const [a, b] = await pair();
    const list = await a.getOrLoad(
      "list",
      async ({ alsoFill }) => {
        for (const id of [1, 2]) alsoFill(`item:${id}`, { id });
        return [1, 2];
      },
      TAGS,
    );
    expect(list).toEqual([1, 2]);
    const never = async () => {
      throw new Error("no load expected");
    };
    expect(await a.fetch("item:1", never, TAGS)).toMatchObject({ value: { id: 1 }, status: "hit", layer: "l1" });
    expect(await b.fetch("item:2", never, TAGS)).toMatchObject({ value: { id: 2 }, status: "hit", layer: "l2" });
  });

  it("a change of the load's tags while it ran makes its rows misses, in L2 and in L1", async () => {
    const [a, b] = await pair();
    const held = deferred();
    const loading = a.getOrLoad(
      "list",
      async ({ alsoFill }) => {
        await held.promise;
        alsoFill("item:1", { id: 1, name: "old" });
        return [1];
      },
      TAGS,
    );
    // The write lands after the list's rows were read (the loader is past its query) and before they are
    // filled. (Another process's L1 learns of it through the bus, within the bus bound, as of any write.)
    await until(() => a.stats.miss === 1, 2000, "the list's load");
    await a.invalidate({ keys: ["item:1"], tags: ["items"] });
    held.resolve();
    await loading;
    const fresh = { id: 1, name: "new" };
    expect(await b.getOrLoad("item:1", async () => fresh, TAGS)).toEqual(fresh);
    expect(await a.getOrLoad("item:1", async () => fresh, TAGS)).toEqual(fresh);
  });

  it("is refused to a load without tags, which nothing could fence", async () => {
    const [a] = await pair();
    await expect(
      a.getOrLoad("untagged", async ({ alsoFill }) => {
        alsoFill("item:1", 1);
        return 0;
      }),
    ).rejects.toThrow(/needs a load with tags/);
  });
});
