import { afterAll, describe, expect, it } from "vitest";
import { MeshBusyError, MeshDeadlineError, MeshError, MeshTooLargeError } from "../src/errors.ts";
import { box, sphere, tetrahedron } from "../src/generate.ts";
import { MeshPool } from "../src/mesh-pool.ts";
import { toBinaryStl } from "../src/parse-stl.ts";
import { componentBombXml, modelXml, zip3mf } from "./fixtures.ts";

const pool = new MeshPool({ threads: 2, deadlineMs: 10_000 });
afterAll(() => pool.close());

describe("MeshPool", () => {
  it("analyzes, quotes and renders in worker threads", async () => {
    const bytes = toBinaryStl(box(10, 10, 10));
    const a = await pool.analyze(bytes);
    expect(a.measurements.volume).toBeCloseTo(1000, 4);
    const q = await pool.quote(bytes, { material: "PETG", infill: 0.5, layerHeightMm: 0.2, quantity: 3 });
    expect(q.quote.options.quantity).toBe(3);
    const png = await pool.preview(bytes, 64);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
  });

  it("returns a refusal with its class and code across the worker boundary", async () => {
    const malformed = await pool.analyze(Buffer.from("nonsense that is no model")).catch((err: unknown) => err);
    expect(malformed).toBeInstanceOf(MeshError);
    expect(malformed).not.toBeInstanceOf(MeshTooLargeError);
    expect(malformed).toMatchObject({ code: "invalid_model" });
    await expect(pool.preview(toBinaryStl(box(1, 1, 1)), 5000)).rejects.toThrow(/preview size/);
    const bomb = await pool.analyze(zip3mf(componentBombXml(13, 4))).catch((err: unknown) => err);
    expect(bomb).toBeInstanceOf(MeshTooLargeError);
    expect(bomb).toMatchObject({ code: "model_too_large" });
  });

  it("moves a small file that expands past the small lane's limits to the big lane", async () => {
    // 4^9 = 262,144 triangles from a few hundred bytes: more than a small task may have, within the limit.
    const a = await pool.analyze(zip3mf(componentBombXml(9, 4)));
    expect(a.measurements.triangleCount).toBe(4 ** 9);
  });

  it("stops a task past its deadline without stalling the pool", async () => {
    const tight = new MeshPool({ threads: 1, deadlineMs: 400 });
    // A task waiting for a worker to start can miss so short a deadline; it is dropped from the queue
    // without stopping the worker, so asking again succeeds once the worker is up.
    const served = async (bytes: Uint8Array) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await tight.analyze(bytes);
        } catch (err) {
          if (!(err instanceof MeshDeadlineError) || attempt === 30) throw err;
        }
      }
    };
    const bigLaneFile = toBinaryStl(sphere(10, 220, 110));
    expect((await served(toBinaryStl(box(1, 1, 1)))).measurements.triangleCount).toBe(12);
    await served(bigLaneFile);
    const big = toBinaryStl(sphere(10, 1500, 750));
    await expect(tight.analyze(big)).rejects.toBeInstanceOf(MeshDeadlineError);
    // The stopped worker is replaced and the big lane serves again.
    expect((await served(bigLaneFile)).measurements.triangleCount).toBe(sphere(10, 220, 110).triangleCount);
    await tight.close();
  });
});

describe("MeshPool lanes, queues and worker limits", () => {
  const tiny = toBinaryStl(tetrahedron(10));
  const pricing = { material: "PLA", infill: 0.2, layerHeightMm: 0.2, quantity: 1 } as const;

  it("answers a 4-triangle quote while a big model is being analysed", async () => {
    const lanes = new MeshPool({ threads: 1, deadlineMs: 120_000 });
    try {
      // Both lanes warm (a 2.4 MB file is big), so that neither answer waits for a worker to start.
      await Promise.all([lanes.quote(tiny, pricing), lanes.analyze(toBinaryStl(sphere(10, 220, 110)))]);
      const order: string[] = [];
      const big = lanes.analyze(toBinaryStl(sphere(10, 1000, 750))).then(() => order.push("big"));
      const small = lanes.quote(tiny, pricing).then(() => order.push("small"));
      await Promise.all([big, small]);
      expect(order).toEqual(["small", "big"]);
    } finally {
      await lanes.close();
    }
  });

  it("refuses at once with MeshBusyError when a lane's queue is full, and serves again after", async () => {
    const narrow = new MeshPool({ threads: 1, maxQueue: 1 });
    try {
      await narrow.analyze(tiny);
      const settled: string[] = [];
      const tasks = Array.from({ length: 6 }, () =>
        narrow.analyze(tiny).then(
          () => settled.push("done"),
          (err: unknown) => settled.push(err instanceof MeshBusyError && err.code === "busy" ? "busy" : String(err)),
        ),
      );
      await Promise.all(tasks);
      // One task runs and one waits; the others are refused before either is done.
      expect(settled.filter((s) => s === "busy").length).toBeGreaterThanOrEqual(1);
      expect(settled.filter((s) => s !== "busy").every((s) => s === "done")).toBe(true);
      expect(settled.lastIndexOf("busy")).toBeLessThan(settled.indexOf("done"));
      expect((await narrow.analyze(tiny)).measurements.triangleCount).toBe(4);
    } finally {
      await narrow.close();
    }
  });

  it("a worker past its heap limit dies alone: the task is refused and the pool serves on", async () => {
    const tight = new MeshPool({ threads: 1, smallTaskBytes: 0, workerResourceLimits: { maxOldGenerationSizeMb: 64 } });
    try {
      // 17 MB of XML (50 kB zipped): the XML parser's objects take far more than 64 MB of heap.
      const vertex = '<vertex x="1.25" y="2.5" z="3.75"/>'.repeat(500_000);
      const heavy = zip3mf(
        modelXml([`<object id="1"><mesh><vertices>${vertex}</vertices><triangles/></mesh></object>`], ["1"]),
      );
      await expect(tight.analyze(heavy)).rejects.toBeInstanceOf(MeshTooLargeError);
      expect((await tight.analyze(tiny)).measurements.triangleCount).toBe(4);
    } finally {
      await tight.close();
    }
  });
});
