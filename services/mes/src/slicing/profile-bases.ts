import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Ini, parseIni } from "./ini.ts";

/** The profiles committed with MES, one folder per version (`profiles/v1`, `profiles/v2`...). */
export const PROFILES_DIR = fileURLToPath(new URL("../../profiles", import.meta.url));

/** The version new slices use; a changed setting is a new version, so old slices keep their keys. */
export const PROFILE_VERSION = 1;

/** One version's base settings: print, printer, and one file per material. */
export interface ProfileBases {
  version: number;
  print: Ini;
  printer: Ini;
  materials: ReadonlyMap<string, Ini>;
}

/** Reads a version's base files (once, at start). */
export async function loadProfileBases(version = PROFILE_VERSION, dir = PROFILES_DIR): Promise<ProfileBases> {
  const root = join(dir, `v${version}`);
  const read = async (path: string) => parseIni(await readFile(path, "utf8"), path);
  const materialsDir = join(root, "materials");
  const files = (await readdir(materialsDir)).filter((f) => f.endsWith(".ini")).sort();
  const materials = new Map<string, Ini>();
  for (const f of files) materials.set(basename(f, ".ini"), await read(join(materialsDir, f)));
  return {
    version,
    print: await read(join(root, "print.ini")),
    printer: await read(join(root, "printer.ini")),
    materials,
  };
}
