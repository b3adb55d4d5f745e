import { execFileSync } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SliceJob } from "@printfab/contracts";
import { box, toBinaryStl } from "@printfab/mesh";
import { type CacheFactory, createCacheFactory, loadConfig } from "@printfab/platform";
import { TEST_REDIS_URL, TEST_SERVICE_ENV } from "@printfab/testkit";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../src/slicing/gcode-figures.ts";
import { RedisSliceLeases } from "../src/slicing/slice-lease.ts";
import { detectSlicer } from "../src/slicing/slicer-probe.ts";
import {
  alive,
  cube,
  factories,
  finished,
  get,
  instance,
  logger,
  namespace,
  objects,
  post,
  realSlicer,
  s3Gets,
  sliceDirs,
  stuckSlicer,
  token,
  until,
  work,
} from "./slicing-harness.ts";

describe("a 20 mm cube sliced by PrusaSlicer", () => {
  it("has the print time, filament and layers the slicer wrote, its G-code in S3 and its folder removed", async () => {
    const { app, slicing } = await instance();
    const res = await post(app, cube);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ state: expect.stringMatching(/queued|running/), progress: expect.any(Number) });
    const job = await finished(app, res.json().id);
    expect(job).toMatchObject({ state: "done", progress: 1, printability: { printable: true, fitsPrinter: true } });
    const result = job.result as NonNullable<SliceJob["result"]>;

    // What the slicer itself printed into the file, read here with nothing of the parser's.
    const gcode = ((await objects.get(result.gcodeKey)) as Buffer).toString("utf8");
    const said = (name: string) => new RegExp(`^; ${name.replace(/[[\]()]/g, "\\$&")} = (.+)$`, "m").exec(gcode)?.[1];
    expect(result.figures).toEqual({
      printTimeSeconds: parseDuration(said("estimated printing time (normal mode)") as string),
      filamentMm: Number(said("filament used [mm]")),
      filamentCm3: Number(said("filament used [cm3]")),
      filamentGrams: Number(said("total filament used [g]")),
      layerCount: gcode.split("\n").filter((l) => l.startsWith(";LAYER_CHANGE")).length,
      warnings: [],
    });
    // A 20 mm cube at 0.3 mm layers over a 0.2 mm first layer: 1 + 66 layers; PLA at 1.24 g/cm³.
    expect(result.figures.layerCount).toBe(67);
    expect(result.figures.filamentGrams).toBeCloseTo(result.figures.filamentCm3 * 1.24, 1);
    expect(result.figures.printTimeSeconds).toBeGreaterThan(5 * 60);
    expect(result.gcodeKey).toBe(`slices/${job.modelSha256}/${result.profileHash}/${realSlicer.version}.gcode`);
    expect(result.gcodeBytes).toBe(Buffer.byteLength(gcode));
    expect(slicing.runs).toBe(1);
    expect(await sliceDirs()).toEqual([]);
  });

  it("a second request for the same model and profile: the result at once, no slicer run, no S3 GET", async () => {
    const { app, slicing } = await instance();
    const first = await finished(app, (await post(app, cube, "material=PETG&layerHeight=0.3&infill=0.1")).json().id);
    expect(first.state).toBe("done");
    const gets = s3Gets.n;
    const again = await post(app, cube, "material=PETG&layerHeight=0.3&infill=0.1");
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ state: "done", result: first.result });
    expect([slicing.runs, s3Gets.n - gets]).toEqual([1, 0]);
    // Another instance: its L1 is empty, Redis has the figures.
    const other = await instance();
    expect((await post(other.app, cube, "material=PETG&layerHeight=0.3&infill=0.1")).statusCode).toBe(200);
    expect([other.slicing.runs, s3Gets.n - gets]).toEqual([0, 0]);
  });

  it("quotes with the slicer's figures once sliced, the heuristic before and for other options", async () => {
    const { app } = await instance();
    const model = toBinaryStl(box(12, 14, 9));
    const quote = async (q: string) =>
      (
        await app.inject({
          method: "POST",
          url: `/quotes?${q}`,
          headers: { authorization: `Bearer ${token("service")}`, "content-type": "application/octet-stream" },
          payload: model,
        })
      ).json();
    const before = await quote("material=PLA&layerHeight=0.3&infill=0.2&quantity=2");
    expect(before).toMatchObject({ estimator: "heuristic", printability: { printable: true, warnings: [] } });
    const job = await finished(app, (await post(app, model)).json().id);
    const after = await quote("material=PLA&layerHeight=0.3&infill=0.2&quantity=2");
    expect(after.estimator).toBe("slicer");
    expect(after.quote.massGrams).toBe(Math.round((job.result?.figures.filamentGrams ?? 0) * 100) / 100);
    expect(after.quote.printTimeHours).toBe(
      Math.round(((job.result?.figures.printTimeSeconds ?? 0) / 3600) * 100) / 100,
    );
    expect(after.quote.totalCents).toBe(500 + 2 * after.quote.unitPriceCents);
    expect((await quote("material=PLA&layerHeight=0.2&infill=0.2&quantity=2")).estimator).toBe("heuristic");
    expect((await quote("material=resin&layerHeight=0.3&infill=0.2&quantity=2")).estimator).toBe("heuristic");
  });
});

describe("printability", () => {
  it("refuses a model larger than the printer with the reason, before any slicing", async () => {
    const { app, slicing } = await instance();
    const wide = await post(app, toBinaryStl(box(300, 20, 10)));
    expect(wide.statusCode).toBe(422);
    expect(wide.json().error).toEqual({
      code: "does_not_fit",
      message: "the model's width is 300 mm, larger than the printer's 250 mm",
    });
    const tall = await post(app, toBinaryStl(box(20, 20, 230)));
    expect([tall.statusCode, tall.json().error.message]).toEqual([
      422,
      "the model's height is 230 mm, larger than the printer's 210 mm",
    ]);
    expect(slicing.runs).toBe(0);
  });
});

describe("a model the slicer cannot slice", () => {
  it("fails its job with the slicer's reason, shown with its printability", async () => {
    const { app } = await instance();
    const closed = box(20, 20, 20);
    // Two of its twelve triangles gone: an open surface.
    const open = { positions: closed.positions.slice(0, 10 * 9), triangleCount: 10 };
    const res = await post(app, toBinaryStl(open));
    expect(res.json().printability).toMatchObject({ printable: false, fitsPrinter: true, watertight: false });
    const job = await finished(app, res.json().id);
    expect(job).toMatchObject({ state: "failed", error: { code: "slicer_failed" } });
    expect(job.error?.message).toMatch(/No layers were detected/);
    expect(job.error?.message).not.toContain(work);
    expect(await sliceDirs()).toEqual([]);
  });
});

describe("a G-code larger than the limit", () => {
  it("stops the slicer (the kernel's file-size limit) and fails the job, its folder removed", async () => {
    const limited = await detectSlicer("prusa-slicer", 4096);
    expect(limited?.command.slice(0, 2)).toEqual(["prlimit", "--fsize=4096"]);
    const { app, slicing } = await instance({ install: limited, maxGcodeBytes: 4096 });
    const job = await finished(app, (await post(app, toBinaryStl(box(11, 13, 7)))).json().id);
    expect(job).toMatchObject({ state: "failed", error: { code: "gcode_too_large" } });
    expect(slicing.runs).toBe(1);
    expect(await sliceDirs()).toEqual([]);
  });
});

describe("two MES instances sharing Redis and S3", () => {
  it("slice a cold model once: the other waits for the lease holder's result", async () => {
    // The real slicer behind a wrapper that counts its runs and takes a moment, so the two requests overlap.
    const counter = join(work, "runs.txt");
    const wrapper = join(work, "slow-slicer.sh");
    await writeFile(
      wrapper,
      `#!/bin/sh\necho run >> ${counter}\nsleep 0.5\nexec ${realSlicer.command.join(" ")} "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const install = { ...realSlicer, command: [wrapper] };
    const [a, b] = [await instance({ install }), await instance({ install })];
    const model = toBinaryStl(box(15, 10, 6));
    const [ra, rb] = await Promise.all([post(a.app, model), post(b.app, model)]);
    expect([ra.statusCode, rb.statusCode]).toEqual([202, 202]);
    const [ja, jb] = await Promise.all([finished(a.app, ra.json().id), finished(b.app, rb.json().id)]);
    expect([ja.state, jb.state]).toEqual(["done", "done"]);
    expect(jb.result).toEqual(ja.result);
    expect(a.slicing.runs + b.slicing.runs).toBe(1);
    expect((await readFile(counter, "utf8")).trim().split("\n")).toHaveLength(1);
  });
});

describe("the slice lease", () => {
  it("is renewed while held, and a holder that crashed blocks its key only until the lease's TTL", async () => {
    const config = loadConfig({ ...TEST_SERVICE_ENV, CACHE_NAMESPACE: namespace, REDIS_URL: TEST_REDIS_URL });
    const caches = await createCacheFactory(config, logger);
    factories.push(caches);
    const redis = caches.redis as NonNullable<CacheFactory["redis"]>;
    const leases = new RedisSliceLeases(redis, `${namespace}:lease-test:`, logger, { ttlMs: 600, renewMs: 100 });
    const held = await leases.acquire("k");
    expect(held).toBeDefined();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await leases.acquire("k")).toBeUndefined();
    await held?.release();
    expect(await leases.acquire("k")).toBeDefined();

    // What a crashed instance leaves: the lease of a cold slice, no longer renewed. The job slices after it.
    const { app, slicing } = await instance({ lease: { ttlMs: 15_000, renewMs: 5_000 } });
    const model = toBinaryStl(box(9, 7, 5));
    const sha = execFileSync("sha256sum", { input: model }).toString().split(" ")[0];
    const hash = slicing.profile({ material: "PLA", infill: 0.2, layerHeight: 0.3 }).hash;
    const name = `${namespace}:mes:slice-lease:{slice:${sha}:${hash}:${realSlicer.version}}`;
    await redis.set(name, "crashed-instance", "PX", 800);
    const res = await post(app, model);
    await until(async () => (await get(app, res.json().id)).json().state === "running", "the job to wait");
    expect(slicing.runs).toBe(0);
    expect(await finished(app, res.json().id)).toMatchObject({ state: "done" });
    expect(slicing.runs).toBe(1);
  });
});

describe("a slicer that does not finish", () => {
  it("is killed with its whole process group at the deadline, and its folder removed", async () => {
    const stuck = await stuckSlicer("deadline");
    const { app } = await instance({ install: stuck.install, deadlineMs: 300 });
    const job = await finished(app, (await post(app, cube)).json().id);
    expect(job).toMatchObject({ state: "failed", error: { code: "slicer_deadline" } });
    const pids = await stuck.pids();
    expect(pids).toHaveLength(2);
    await until(() => pids.every((p) => !alive(p)), "the slicer's processes to end");
    expect(await sliceDirs()).toEqual([]);
  });

  it("is killed when its job is cancelled; a queued job leaves the queue; limits answer 429 and 503", async () => {
    const stuck = await stuckSlicer("cancel");
    const { app } = await instance({ install: stuck.install, processes: 1, queueLength: 1, perClientQueued: 2 });
    const running = (await post(app, cube)).json() as SliceJob;
    await until(async () => (await stuck.pids()).length === 2, "the slicer to start");
    const queued = await post(app, cube);
    expect([queued.statusCode, queued.json().state]).toEqual([202, "queued"]);
    const mine = await post(app, cube);
    expect([mine.statusCode, mine.json().error.code]).toEqual([429, "too_many_slices"]);
    const full = await post(app, cube, undefined, "manager");
    expect([full.statusCode, full.json().error.code, full.headers["retry-after"]]).toEqual([503, "slicer_busy", "10"]);

    const del = (id: string) =>
      app.inject({ method: "DELETE", url: `/slices/${id}`, headers: { authorization: `Bearer ${token("manager")}` } });
    expect((await del(queued.json().id)).statusCode).toBe(202);
    expect(await finished(app, queued.json().id)).toMatchObject({ state: "cancelled" });
    expect((await del(running.id)).statusCode).toBe(202);
    expect(await finished(app, running.id)).toMatchObject({ state: "cancelled" });
    const pids = await stuck.pids();
    await until(() => pids.every((p) => !alive(p)), "the slicer's processes to end");
    expect(await sliceDirs()).toEqual([]);
    // A finished job stays as it was.
    expect((await del(running.id)).json().state).toBe("cancelled");
  });
});

describe("the slice routes", () => {
  it("take a stored model by key (also for an order's items), and refuse bad input with 4xx", async () => {
    const { app, slicing } = await instance();
    const model = toBinaryStl(box(8, 8, 8));
    const sha = execFileSync("sha256sum", { input: model }).toString().split(" ")[0];
    await objects.put(`models/${sha}.stl`, model);
    const byKey = await post(app, { modelKey: `models/${sha}.stl` }, undefined, "service");
    expect(byKey.statusCode).toBe(202);
    expect(await finished(app, byKey.json().id)).toMatchObject({ state: "done", modelSha256: sha });
    // A placed order's items: the stored one already sliced (no job), the missing one skipped, a new one started.
    await objects.put("models/other.stl", cube);
    const ids = await slicing.sliceOrderItems([
      { modelKey: `models/${sha}.stl`, material: "PLA", infill: 0.2, layerHeight: 0.3 },
      { modelKey: "models/missing.stl" },
      { modelKey: "models/other.stl", material: "PLA", infill: 0.2, layerHeight: 0.3 },
    ]);
    expect(ids).toHaveLength(1);
    expect(await finished(app, ids[0] as string)).toMatchObject({ state: "done" });

    const bad = async (res: Awaited<ReturnType<typeof post>>, status: number, code?: string) => {
      expect(res.statusCode, res.body).toBe(status);
      if (code) expect(res.json().error.code).toBe(code);
    };
    await bad(await post(app, { modelKey: "models/missing.stl" }), 422, "model_not_found");
    await bad(await post(app, { modelKey: "../etc/passwd" }), 400);
    await bad(await post(app, { path: "x" }), 400);
    await bad(await post(app, cube, "material=resin"), 400);
    await bad(await post(app, cube, "layerHeight=0.9"), 400);
    await bad(await post(app, cube, "infill=2"), 400);
    await bad(await post(app, cube, "color=red"), 400);
    await bad(await post(app, Buffer.from("solid nothing\nendsolid\n")), 422);
    await bad(await get(app, "not-a-uuid"), 400);
    await bad(await get(app, "00000000-0000-4000-8000-000000000000"), 404, "not_found");
  });

  it("serve staff and the Shop only", async () => {
    const { app } = await instance();
    const id = (await post(app, cube)).json().id as string;
    for (const role of ["operator", "manager", "service"] as const) {
      expect((await post(app, cube, undefined, role)).statusCode, role).toBeLessThan(300);
      expect((await get(app, id, role)).statusCode, role).toBe(200);
    }
    expect((await post(app, cube, undefined, "customer")).statusCode).toBe(403);
    expect((await get(app, id, "customer")).statusCode).toBe(403);
    const anonymous = await app.inject({ method: "GET", url: `/slices/${id}` });
    expect(anonymous.statusCode).toBe(401);
    const customerDelete = await app.inject({
      method: "DELETE",
      url: `/slices/${id}`,
      headers: { authorization: `Bearer ${token("customer")}` },
    });
    expect(customerDelete.statusCode).toBe(403);
    await finished(app, id);
  });

  it("without PrusaSlicer: slicing answers 503 and quotes say they used the heuristic", async () => {
    const { app } = await instance({ install: null }, false);
    const res = await post(app, cube);
    expect([res.statusCode, res.json().error.code]).toEqual([503, "slicer_unavailable"]);
    const quote = await app.inject({
      method: "POST",
      url: "/quotes?material=PLA&layerHeight=0.3&infill=0.2",
      headers: { authorization: `Bearer ${token("operator")}`, "content-type": "application/octet-stream" },
      payload: cube,
    });
    expect([quote.statusCode, quote.json().estimator]).toEqual([200, "heuristic"]);
  });
});
