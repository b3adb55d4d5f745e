import { spawn } from "node:child_process";
import { mkdtemp, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { progressOf, slicerMessages } from "./gcode-figures.ts";
import { SLICE_DIR_PREFIX, withoutFolder } from "./slice-folders.ts";
import type { SlicerInstall } from "./slicer-probe.ts";
import { stlForSlicer } from "./slicer-stl.ts";

export type SlicerErrorCode = "slicer_deadline" | "slicer_cancelled" | "slicer_failed" | "gcode_too_large";

/** A slice that did not produce G-code; `message` is safe to show (the slicer's own reasons, bounded). */
export class SlicerError extends Error {
  constructor(
    readonly code: SlicerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SlicerError";
  }
}

export interface SliceRun {
  /**
   * The model's geometry as an STL file: never the uploaded 3MF or OBJ, whose embedded slicer settings
   * (a 3MF's Slic3r_PE.config, Bambu's and Orca's) PrusaSlicer would apply over our profile.
   */
  model: Buffer;
  /** The whole slicer configuration (a built profile). */
  ini: string;
  deadlineMs: number;
  signal?: AbortSignal;
  /** The slicer's progress, 0..1, as it reports it. */
  onProgress?: (progress: number) => void;
  /** Output kept from stdout and stderr together; the rest is dropped. */
  maxOutputBytes: number;
  maxGcodeBytes: number;
  /** Where the run's temporary folder is made (the system's by default). */
  tmpRoot?: string;
}

/** What a finished run leaves for `consume`: the G-code file (removed with its folder afterwards). */
export interface SlicedFile {
  gcodePath: string;
  gcodeBytes: number;
  /** The slicer's warnings (its output past progress and log chatter). */
  messages: string[];
}

/**
 * Runs the slicer on one model in a fresh temporary folder, which is removed whatever happens, then hands
 * the G-code to `consume` before that. The slicer is a process group of its own: the deadline and the
 * caller's signal kill the whole group. Its environment is a minimal one (no proxies, no display, the C
 * locale so numbers keep their decimal point), its home the temporary folder.
 */
export async function runSlicer<T>(
  slicer: SlicerInstall,
  run: SliceRun,
  consume: (file: SlicedFile) => Promise<T>,
): Promise<T> {
  run.signal?.throwIfAborted();
  const dir = await mkdtemp(join(run.tmpRoot ?? tmpdir(), SLICE_DIR_PREFIX));
  try {
    const model = join(dir, "model.stl");
    const profile = join(dir, "profile.ini");
    const gcodePath = join(dir, "out.gcode");
    await writeFile(model, stlForSlicer(run.model));
    await writeFile(profile, run.ini);
    const args = ["--datadir", join(dir, "data"), "--export-gcode", "--load", profile, "--output", gcodePath, model];
    const output = await spawnSlicer(slicer, args, dir, run);
    // The slicer names its files by their paths: the client needs neither our folders nor their names.
    output.text = withoutFolder(output.text, [dir, await realpath(dir).catch(() => dir)]);
    const gcodeBytes = await stat(gcodePath).then(
      (s) => s.size,
      () => -1,
    );
    if (output.exit !== 0 || gcodeBytes < 0) {
      const reasons = slicerMessages(output.text);
      if (gcodeBytes > run.maxGcodeBytes || output.signal === "SIGXFSZ") {
        throw new SlicerError("gcode_too_large", `the G-code would be larger than ${run.maxGcodeBytes} bytes`);
      }
      throw new SlicerError(
        "slicer_failed",
        reasons.join("; ") || `the slicer failed (${output.signal ?? `exit ${output.exit}`})`,
      );
    }
    if (gcodeBytes > run.maxGcodeBytes) {
      throw new SlicerError("gcode_too_large", `the G-code is larger than ${run.maxGcodeBytes} bytes`);
    }
    return await consume({ gcodePath, gcodeBytes, messages: slicerMessages(output.text) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Finished {
  exit: number | null;
  signal: NodeJS.Signals | null;
  text: string;
}

function spawnSlicer(slicer: SlicerInstall, args: string[], dir: string, run: SliceRun): Promise<Finished> {
  const [file, ...pre] = slicer.command as [string, ...string[]];
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, TMPDIR: dir, LANG: "C", LC_ALL: "C" };
  const child = spawn(file, [...pre, ...args], { cwd: dir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise<Finished>((resolve, reject) => {
    let text = "";
    let partial = "";
    let stopped: SlicerError | undefined;
    const keep = (chunk: Buffer) => {
      if (text.length < run.maxOutputBytes) text += chunk.toString("utf8").slice(0, run.maxOutputBytes - text.length);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      keep(chunk);
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = (lines.pop() ?? "").slice(-1024);
      for (const line of lines) {
        const p = progressOf(line.trim());
        if (p !== undefined) run.onProgress?.(p);
      }
    });
    child.stderr.on("data", keep);
    const kill = (error: SlicerError) => {
      stopped ??= error;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(
      () => kill(new SlicerError("slicer_deadline", `slicing took longer than ${Math.round(run.deadlineMs / 1000)} s`)),
      run.deadlineMs,
    );
    const onAbort = () => kill(new SlicerError("slicer_cancelled", "the slice was cancelled"));
    run.signal?.addEventListener("abort", onAbort, { once: true });
    // An abort while the files were written has already fired: a listener added now would never run.
    if (run.signal?.aborted) onAbort();
    const done = () => {
      clearTimeout(timer);
      run.signal?.removeEventListener("abort", onAbort);
    };
    child.once("error", (err) => {
      done();
      reject(new SlicerError("slicer_failed", `the slicer could not be started: ${err.message}`));
    });
    child.once("close", (exit, signal) => {
      done();
      if (stopped) reject(stopped);
      else resolve({ exit, signal, text });
    });
  });
}
