import { execFileSync } from "node:child_process";
import { mkdir, readdir, utimes } from "node:fs/promises";
import { join } from "node:path";
import { box, toBinaryStl } from "@printfab/mesh";
import { type CacheFactory, createCacheFactory, loadConfig } from "@printfab/platform";
import { TEST_REDIS_URL, TEST_SERVICE_ENV } from "@printfab/testkit";
import { describe, expect, it } from "vitest";
import { RedisSliceLeases } from "../src/slicing/slice-lease.ts";
import { runSlicer, SlicerError } from "../src/slicing/slicer-runner.ts";
import {
  alive,
  cube,
  factories,
  instance,
  logger,
  namespace,
  objects,
  post,
  s3Gets,
  sliceDirs,
  stuckSlicer,
  until,
  work,
} from "./slicing-harness.ts";

/** Slicing's edges in time: placed orders, cancellation at any moment, shutdown, a lease lost mid-slice. */

describe("placed orders", () => {
  it("a model already sliced costs no S3 GET, however many orders ask for it", async () => {
    const { slicing } = await instance();
    const model = toBinaryStl(box(7, 9, 4));
    const sha = execFileSync("sha256sum", { input: model }).toString().split(" ")[0] as string;
    await objects.put(`models/${sha}.stl`, model);
    const item = { modelKey: `models/${sha}.stl`, material: "PLA", infill: 0.2, layerHeight: 0.3 } as const;
    expect(slicing.sliceOrder([item])).toBe(true);
    await slicing.ordersIdle();
    await until(async () => (await slicing.sliced(sha, item)) !== null, "the order's slice");
    const gets = s3Gets.n;
    for (let i = 0; i < 30; i++) expect(slicing.sliceOrder([item, item])).toBe(true);
    await slicing.ordersIdle();
    expect([s3Gets.n - gets, slicing.runs]).toEqual([0, 1]);
  });
});

describe("a cancellation while the run's files are being written", () => {
  it("still kills the slicer at once (not at its deadline)", async () => {
    const stuck = await stuckSlicer("early-cancel");
    const controller = new AbortController();
    const run = runSlicer(
      stuck.install,
      {
        model: cube,
        ini: "layer_height = 0.2\n",
        deadlineMs: 20_000,
        signal: controller.signal,
        maxOutputBytes: 1024,
        maxGcodeBytes: 1024,
        tmpRoot: work,
      },
      async () => "sliced",
    );
    // runSlicer has checked the signal and is making its folder: the abort lands before the slicer starts.
    controller.abort(new Error("cancelled"));
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlicerError);
    expect((err as SlicerError).code).toBe("slicer_cancelled");
    for (const pid of await stuck.pids()) await until(() => !alive(pid), "the slicer's processes to end");
    expect(await sliceDirs()).toEqual([]);
  });
});

describe("shutdown", () => {
  it("waits for the killed slicer: no process and no folder outlive close()", async () => {
    const stuck = await stuckSlicer("close");
    const { app, slicing } = await instance({ install: stuck.install });
    expect((await post(app, cube)).statusCode).toBe(202);
    await until(async () => (await stuck.pids()).length === 2, "the slicer to start");
    const [shell, child] = (await stuck.pids()) as [number, number];
    await slicing.close();
    // The slicer itself is our child, reaped before close() returned; its own child is init's to reap.
    expect(alive(shell)).toBe(false);
    expect(await sliceDirs()).toEqual([]);
    await until(() => !alive(child), "the slicer's child to end");
    expect((await post(app, cube)).statusCode).toBe(503);
  });

  it("folders a killed process left are removed when slicing starts; recent ones are kept", async () => {
    const root = join(work, "sweep");
    await mkdir(join(root, "printfab-slice-old", "data"), { recursive: true });
    await mkdir(join(root, "printfab-slice-recent"), { recursive: true });
    await mkdir(join(root, "someone-elses"), { recursive: true });
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(root, "printfab-slice-old"), hourAgo, hourAgo);
    await instance({ tmpRoot: root, deadlineMs: 60_000 });
    expect((await readdir(root)).sort()).toEqual(["printfab-slice-recent", "someone-elses"]);
  });
});

describe("a slice lease lost while its slice runs", () => {
  it("is noticed at the next renewal, logged and counted, and no longer renewed", async () => {
    const config = loadConfig({ ...TEST_SERVICE_ENV, CACHE_NAMESPACE: namespace, REDIS_URL: TEST_REDIS_URL });
    const caches = await createCacheFactory(config, logger);
    factories.push(caches);
    const redis = caches.redis as NonNullable<CacheFactory["redis"]>;
    const leases = new RedisSliceLeases(redis, `${namespace}:lost-test:`, logger, { ttlMs: 60_000, renewMs: 50 });
    const held = await leases.acquire("k");
    // What a long stall looks like from Redis: the lease expired and another instance took it.
    await redis.set(`${namespace}:lost-test:{k}`, "another-instance", "PX", 60_000);
    await until(() => leases.lost === 1, "the loss to be noticed");
    await held?.release();
    expect(await redis.get(`${namespace}:lost-test:{k}`)).toBe("another-instance");
    expect(leases.lost).toBe(1);
  });
});
