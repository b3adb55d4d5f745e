import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseStl, renderPreview, sphere, toBinaryStl } from "@printfab/mesh";
import { percentile, table } from "./stats.ts";

const child = fileURLToPath(new URL("./mesh-child.ts", import.meta.url));

interface Run {
  ms: number;
  peakOverBaseline: number;
  fileBytes: number;
}

function runChild(file: string, what: string): Run {
  return JSON.parse(
    execFileSync(process.execPath, ["--import", "tsx", child, file, what], { encoding: "utf8" }),
  ) as Run;
}

/** A generated 1,000,000-triangle binary STL: parse, measure and preview, beside three's STLLoader. */
export async function runMeshBench(opts: { repeats: number; out: string }) {
  const dir = mkdtempSync(join(tmpdir(), "printfab-mesh-bench-"));
  const file = join(dir, "sphere-1m.stl");
  const mesh = sphere(50, 1000, 500);
  writeFileSync(file, toBinaryStl(mesh));
  process.stderr.write(`generated ${mesh.triangleCount.toLocaleString("en-US")} triangles\n`);
  const rows: Array<[string, number, number, number]> = [];
  const scenarios: Array<[string, string]> = [
    ["three STLLoader.parse", "three"],
    ["parse + volume + area + bbox", "basic"],
    ["full analysis (+ watertightness)", "full"],
    ["parse + 256 px preview", "preview"],
  ];
  let fileBytes = 0;
  for (const [name, what] of scenarios) {
    process.stderr.write(`${name}...\n`);
    const runs = Array.from({ length: opts.repeats }, () => runChild(file, what));
    fileBytes = runs[0]?.fileBytes ?? 0;
    const times = runs.map((r) => r.ms).sort((a, b) => a - b);
    const peak = Math.max(...runs.map((r) => r.peakOverBaseline));
    rows.push([name, percentile(times, 50), times[0] as number, peak]);
  }
  // The preview alone, on an already parsed mesh, in this process.
  const parsed = parseStl(await import("node:fs").then((fs) => fs.readFileSync(file)));
  const previewTimes = Array.from({ length: opts.repeats }, () => {
    const t = performance.now();
    renderPreview(parsed, 256);
    return performance.now() - t;
  }).sort((a, b) => a - b);
  rmSync(dir, { recursive: true, force: true });

  const ms = (name: string) => rows.find((r) => r[0] === name)?.[1] ?? Number.NaN;
  const three = ms("three STLLoader.parse");
  const basic = ms("parse + volume + area + bbox");
  const full = ms("full analysis (+ watertightness)");
  const preview = percentile(previewTimes, 50);
  const maxPeak = Math.max(...rows.slice(1).map((r) => r[3]));
  const text = table(
    ["step (1,000,000 triangles)", "median ms", "best ms", "peak memory / file size"],
    [
      ...rows.map(([n, med, best, peak]) => [n, med.toFixed(0), best.toFixed(0), (peak / fileBytes).toFixed(2)]),
      ["256 px preview of a parsed mesh", preview.toFixed(0), (previewTimes[0] as number).toFixed(0), "-"],
    ],
  );
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  const targets = [
    `parse + volume + area + bbox is ${(three / basic).toFixed(1)}x faster than STLLoader.parse alone (target >= 4x): ${verdict(three / basic >= 4)}`,
    `full analysis ${full.toFixed(0)} ms (target <= 1000 ms): ${verdict(full <= 1000)}`,
    `256 px preview ${preview.toFixed(0)} ms (target <= 300 ms): ${verdict(preview <= 300)}`,
    `peak memory ${(maxPeak / fileBytes).toFixed(2)}x the file size (target <= 3x): ${verdict(maxPeak <= 3 * fileBytes)}`,
  ];
  const report = `# Mesh benchmark\n\nRun ${new Date().toISOString()}, Node ${process.version}; a generated ${(fileBytes / 1e6).toFixed(1)} MB binary STL (1,000,000 triangles); each step in a fresh process, ${opts.repeats} runs; peak memory is the process's maximum RSS above its RSS before reading the file.\n\n${text}\n\n${targets.map((t) => `- ${t}`).join("\n")}\n`;
  process.stdout.write(`\n${text}\n\n${targets.join("\n")}\n`);
  await writeFile(join(opts.out, "mesh.md"), report);
}
