// One measurement of the mesh benchmark, in a fresh process so its peak memory is its own.
import { readFileSync } from "node:fs";
import { measure, measureBasic, parseStl, renderPreview } from "@printfab/mesh";

const [file, what] = process.argv.slice(2) as [string, string];
const baseline = process.memoryUsage().rss;
const bytes = readFileSync(file);
const started = performance.now();
if (what === "basic") measureBasic(parseStl(bytes));
else if (what === "full") measure(parseStl(bytes));
else if (what === "preview") renderPreview(parseStl(bytes), 256);
else if (what === "three") {
  const { STLLoader } = await import("three/examples/jsm/loaders/STLLoader.js");
  new STLLoader().parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
const ms = performance.now() - started;
const peak = process.resourceUsage().maxRSS * 1024;
process.stdout.write(JSON.stringify({ ms, peakOverBaseline: peak - baseline, fileBytes: bytes.length }));
