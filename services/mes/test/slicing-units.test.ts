import { box, parseMesh, toBinaryStl } from "@printfab/mesh";
import { createLogger } from "@printfab/platform";
import { describe, expect, it } from "vitest";
import { parseDuration, parseGcodeFigures, progressOf, slicerMessages } from "../src/slicing/gcode-figures.ts";
import { OrderSliceQueue } from "../src/slicing/order-slices.ts";
import { DEFAULT_PRINTER, printabilityOf } from "../src/slicing/printer.ts";
import { loadProfileBases } from "../src/slicing/profile-bases.ts";
import { buildProfile } from "../src/slicing/profile-builder.ts";
import { withoutFolder } from "../src/slicing/slice-folders.ts";
import { SlicePool } from "../src/slicing/slice-pool.ts";
import { slicerVersionOf } from "../src/slicing/slicer-probe.ts";
import { stlForSlicer } from "../src/slicing/slicer-stl.ts";

describe("the G-code figures parser", () => {
  it("reads PrusaSlicer's estimates and counts layers", () => {
    const gcode = [
      ";LAYER_CHANGE",
      "G1 X1",
      ";LAYER_CHANGE",
      "; filament used [mm] = 1325.93",
      "; filament used [cm3] = 3.19",
      "; filament used [g] = 3.95",
      "; total filament used [g] = 3.95",
      "; estimated printing time (normal mode) = 1d 2h 15m 45s",
      "; estimated printing time (silent mode) = 9m",
    ].join("\r\n");
    expect(parseGcodeFigures(gcode, ["w"])).toEqual({
      printTimeSeconds: 26 * 3600 + 15 * 60 + 45,
      filamentMm: 1325.93,
      filamentCm3: 3.19,
      filamentGrams: 3.95,
      layerCount: 2,
      warnings: ["w"],
    });
    expect(
      parseGcodeFigures(
        "; filament used [mm] = 1.5, 2.5\n; filament used [cm3] = 1\n; total filament used [g] = 1\n; estimated printing time (normal mode) = 5s",
      ).filamentMm,
    ).toBe(4);
  });

  it("refuses a file without the estimates, and bad durations", () => {
    expect(() => parseGcodeFigures("G1 X1\n; filament used [mm] = 3")).toThrow(/estimated printing time/);
    expect(parseDuration("13m 45s")).toBe(825);
    for (const bad of ["", "soon", "5x", "1h 2"]) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it("keeps the slicer's messages and drops its progress and log chatter, bounded", () => {
    const out = [
      "[2026-11-26 11:01:10.204793] [0x00007f1e7553cd80] [trace]   Initializing StaticPrintConfigs",
      "10 => Processing triangulated mesh",
      "No layers were detected. You might want to repair your STL file(s).",
      "[2026-11-26 11:01:10.204793] [0x1] [error]   stl_open_count_facets: empty file",
      "Slicing result exported to out.gcode",
    ].join("\n");
    expect(slicerMessages(out)).toEqual([
      "No layers were detected. You might want to repair your STL file(s).",
      "stl_open_count_facets: empty file",
    ]);
    expect(slicerMessages(Array.from({ length: 100 }, (_, i) => `w${i} ${"x".repeat(1000)}`).join("\n"))).toHaveLength(
      20,
    );
    expect(progressOf("70 => Infilling layers")).toBe(0.7);
    expect(progressOf("Infilling")).toBeUndefined();
    expect(slicerVersionOf("x\nPrusaSlicer-2.5.0+UNKNOWN based on Slic3r")).toBe("prusa-slicer-2.5.0_unknown");
  });
});

describe("the profile builder", () => {
  it("gives equal bytes and hashes for equal options, another hash for any change, and never a script", async () => {
    const bases = await loadProfileBases();
    const q = { material: "PLA" as const, infill: 0.2, layerHeight: 0.3 };
    const a = buildProfile(bases, q, DEFAULT_PRINTER);
    expect(buildProfile(bases, { ...q }, DEFAULT_PRINTER)).toEqual(a);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.ini).toContain("layer_height = 0.3\n");
    expect(a.ini).toContain("fill_density = 20%\n");
    expect(a.ini).toContain("bed_shape = 0x0,250x0,250x210,0x210\n");
    expect(a.ini).toContain("filament_density = 1.24\n");
    expect(a.ini).toMatch(/\npost_process = \n/);
    const others = [
      buildProfile(bases, { ...q, infill: 0.25 }, DEFAULT_PRINTER),
      buildProfile(bases, { ...q, material: "PETG" }, DEFAULT_PRINTER),
      buildProfile(bases, q, { ...DEFAULT_PRINTER, volumeMm: [300, 300, 300] }),
    ];
    expect(new Set([a.hash, ...others.map((o) => o.hash)]).size).toBe(4);
    expect(buildProfile(bases, { ...q, infill: 1 }, DEFAULT_PRINTER).ini).toContain("fill_pattern = rectilinear\n");
    expect(() => buildProfile(bases, { ...q, layerHeight: 0.3 }, { ...DEFAULT_PRINTER, nozzleMm: 0.25 })).toThrow(
      /nozzle/,
    );
  });
});

describe("printability", () => {
  const analysis = (size: [number, number, number], watertight = true) => ({
    measurements: { bbox: { min: [0, 0, 0], max: size, size }, watertight } as never,
  });

  it("says why a model cannot be printed", () => {
    expect(printabilityOf(analysis([20, 20, 20]), DEFAULT_PRINTER)).toMatchObject({ printable: true, problems: [] });
    const big = printabilityOf(analysis([300, 20, 220], false), DEFAULT_PRINTER);
    expect(big).toMatchObject({ printable: false, fitsPrinter: false, watertight: false });
    expect(big.problems.join(" ")).toMatch(
      /width is 300 mm, larger than the printer's 250 mm.*height is 220 mm.*not watertight/,
    );
  });
});

describe("the slicer pool", () => {
  const never = () => new Promise<never>(() => {});

  it("runs so many at once, queues so many, refuses the rest, and drops a cancelled waiter", async () => {
    const pool = new SlicePool({ processes: 1, queueLength: 1, perClientQueued: 2 });
    const ctl = new AbortController();
    let release: () => void = () => {};
    const first = pool.submit("a", () => new Promise<string>((r) => (release = () => r("one"))), ctl.signal);
    const waiting = new AbortController();
    const second = pool.submit("a", async () => "two", waiting.signal);
    expect([pool.running, pool.queued]).toEqual([1, 1]);
    expect(() => pool.submit("a", never, ctl.signal)).toThrow(expect.objectContaining({ statusCode: 429 }));
    expect(() => pool.submit("b", never, ctl.signal)).toThrow(
      expect.objectContaining({ statusCode: 503, retryAfterSeconds: 10 }),
    );
    waiting.abort(new Error("cancelled"));
    await expect(second).rejects.toThrow("cancelled");
    expect(pool.queued).toBe(0);
    const third = pool.submit("b", async () => "three", ctl.signal);
    // MES's own work (an order's items) is bounded by the queue, not by a client's share.
    expect(() => pool.submit(null, never, ctl.signal)).toThrow(expect.objectContaining({ statusCode: 503 }));
    release();
    expect([await first, await third]).toEqual(["one", "three"]);
    expect([pool.running, pool.queued]).toEqual([0, 0]);
  });
});

describe("STL files for the slicer", () => {
  it("rewrites a binary STL the slicer would take for text as ASCII with the same vertices, and nothing else", () => {
    const small = toBinaryStl(box(10, 10, 10));
    const ascii = stlForSlicer(small);
    expect(ascii.subarray(0, 5).toString()).toBe("solid");
    const [a, b] = [parseMesh(small, "stl"), parseMesh(ascii, "stl")];
    expect(Array.from(b.positions)).toEqual(Array.from(a.positions));
    const big = toBinaryStl(box(20, 20, 20));
    expect(stlForSlicer(big)).toBe(big);
    const text = Buffer.from("solid x\nendsolid x\n");
    expect(stlForSlicer(text)).toBe(text);
  });
});

describe("the slicer's messages shown to clients", () => {
  it("name no temporary folder, in any form", () => {
    const dir = "/tmp/printfab-slice-a1B2c3";
    const real = "/private/tmp/printfab-slice-a1B2c3";
    const said = [
      `Loading of ${dir}/model.stl failed`,
      `cannot write into ${dir}`,
      `${real}/out.gcode: too large`,
      "working in printfab-slice-a1B2c3 (relative)",
    ].join("\n");
    const out = withoutFolder(said, [dir, real]);
    expect(out).not.toMatch(/printfab-slice|\/tmp/);
    expect(out.split("\n")).toEqual([
      "Loading of model.stl failed",
      "cannot write into .",
      "out.gcode: too large",
      "working in . (relative)",
    ]);
  });
});

describe("the placed orders' slicing queue", () => {
  it("slices one order at a time and drops orders beyond its bound", async () => {
    let active = 0;
    let most = 0;
    const done: number[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const queue = new OrderSliceQueue<number>(
      async (order) => {
        active++;
        most = Math.max(most, active);
        await gate;
        active--;
        // A failing order is logged, and the next one is still sliced.
        if (order === 3) throw new Error("no such model");
        done.push(order);
      },
      createLogger("silent"),
      3,
    );
    // The first is taken at once; three wait; the fifth and sixth are dropped.
    expect([0, 1, 2, 3, 4, 5].map((n) => queue.add(n))).toEqual([true, true, true, true, false, false]);
    expect([queue.waiting, queue.dropped]).toEqual([3, 2]);
    release();
    await queue.idle();
    expect([done, most, queue.waiting]).toEqual([[0, 1, 2], 1, 0]);
    expect(queue.add(6)).toBe(true);
    await queue.idle();
    expect(done).toEqual([0, 1, 2, 6]);
  });
});
