import { execFile } from "node:child_process";

/** The slicer found at start: how to run it and which version it is (part of every slice's key). */
export interface SlicerInstall {
  /** `prusa-slicer-2.5.0_unknown`: the `--help` banner's version, made safe for keys. */
  version: string;
  /** The command line before the slicer's own arguments (sandbox wrappers, then the binary). */
  command: readonly string[];
  /** Whether the slicer runs in a network namespace of its own (no network at all). */
  isolated: boolean;
}

const PROBE_TIMEOUT_MS = 15_000;
/** The largest G-code file a slice may write; the kernel stops the slicer beyond it. */
export const DEFAULT_MAX_GCODE_BYTES = 512 * 1024 * 1024;

const run = (file: string, args: string[]) =>
  new Promise<{ ok: boolean; stdout: string }>((resolve) => {
    execFile(
      file,
      args,
      { timeout: PROBE_TIMEOUT_MS, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      (err, stdout) => resolve({ ok: !err, stdout: String(stdout) }),
    );
  });

/** `PrusaSlicer-2.5.0+UNKNOWN based on Slic3r` -> `prusa-slicer-2.5.0_unknown`; undefined if no banner. */
export function slicerVersionOf(helpText: string): string | undefined {
  const m = /PrusaSlicer-(\S+)/.exec(helpText);
  return m?.[1] ? `prusa-slicer-${m[1].toLowerCase().replace(/[^a-z0-9._-]/g, "_")}` : undefined;
}

/**
 * Looks for the slicer once, at start: undefined when it is missing (quotes then use the heuristic and
 * slicing answers 503). It runs in a network namespace of its own when this user may make one
 * (`unshare -rn`, no root needed where unprivileged user namespaces are on) and under a file-size limit
 * (`prlimit --fsize`) when util-linux has them; the environment never carries proxies either way.
 */
export async function detectSlicer(
  binary = "prusa-slicer",
  maxGcodeBytes = DEFAULT_MAX_GCODE_BYTES,
): Promise<SlicerInstall | undefined> {
  const help = await run(binary, ["--help"]);
  const version = slicerVersionOf(help.stdout);
  if (!version) return undefined;
  const isolated = (await run("unshare", ["-r", "-n", "true"])).ok;
  const limit = [`prlimit`, `--fsize=${maxGcodeBytes}`, "--"];
  const limited = (await run(limit[0] as string, [...limit.slice(1), "true"])).ok;
  const command = [...(limited ? limit : []), ...(isolated ? ["unshare", "-r", "-n"] : []), binary];
  return { version, command, isolated };
}
