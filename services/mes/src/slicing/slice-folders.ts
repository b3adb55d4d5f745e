import { readdir, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";

/** Every slicer run works in a fresh folder of this prefix under the temp root. */
export const SLICE_DIR_PREFIX = "printfab-slice-";

/**
 * The slicer's output with our folder removed in every form it may take: `<dir>/file` becomes `file`, the
 * bare folder (`<dir>`, the same behind a symlinked temp root, its name alone) becomes `.`. The client is
 * shown these messages and needs neither our paths nor our folders' names.
 */
export function withoutFolder(text: string, forms: readonly string[]): string {
  const paths = [...new Set(forms.flatMap((f) => [f, basename(f)]))].sort((a, b) => b.length - a.length);
  let out = text;
  for (const p of paths) out = out.split(`${p}/`).join("");
  for (const p of paths) out = out.split(p).join(".");
  return out;
}

/**
 * Removes slice folders a previous process left (it was killed before its cleanup ran) that are older than
 * `olderThanMs`: no run of this or any other live process on the machine is that old, as runs are killed at
 * their deadline. Returns how many were removed; a folder that vanished meanwhile is not an error.
 */
export async function sweepSliceFolders(root: string, olderThanMs: number, now = Date.now()): Promise<number> {
  const names = (await readdir(root).catch(() => [] as string[])).filter((n) => n.startsWith(SLICE_DIR_PREFIX));
  let removed = 0;
  for (const name of names) {
    const path = join(root, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory() || now - info.mtimeMs <= olderThanMs) continue;
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
