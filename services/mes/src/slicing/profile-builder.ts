import { createHash } from "node:crypto";
import type { SliceQuery } from "@printfab/contracts";
import { formatIni } from "./ini.ts";
import type { PrinterSpec } from "./printer.ts";
import type { ProfileBases } from "./profile-bases.ts";

/** A complete slicer configuration; its hash names it in every key that depends on it. */
export interface SliceProfile {
  ini: string;
  /** sha256 of `ini`. */
  hash: string;
  version: number;
}

const num = (n: number) => String(Math.round(n * 10_000) / 10_000);

/**
 * The configuration for one request: the version's print, printer and material settings, then what the
 * request and the printer decide (layer height, infill, bed, height, nozzle). Pure: equal inputs give the
 * same bytes, hence the same hash, on every instance.
 */
export function buildProfile(bases: ProfileBases, options: SliceQuery, printer: PrinterSpec): SliceProfile {
  const material = bases.materials.get(options.material);
  if (!material) throw new Error(`profile v${bases.version} has no settings for ${options.material}`);
  if (options.layerHeight > printer.nozzleMm) {
    throw new RangeError(`a ${options.layerHeight} mm layer is thicker than the ${printer.nozzleMm} mm nozzle`);
  }
  const [x, y, z] = printer.volumeMm;
  const ini = new Map([...bases.print, ...bases.printer, ...material]);
  ini.set("layer_height", num(options.layerHeight));
  ini.set("fill_density", `${num(options.infill * 100)}%`);
  // PrusaSlicer refuses most patterns (gyroid among them) at 100% density: a solid part is rectilinear.
  if (options.infill >= 1) ini.set("fill_pattern", "rectilinear");
  ini.set("bed_shape", `0x0,${num(x)}x0,${num(x)}x${num(y)},0x${num(y)}`);
  ini.set("max_print_height", num(z));
  ini.set("nozzle_diameter", num(printer.nozzleMm));
  // The slicer runs post-processing scripts named here: whatever a base file says, none ever runs.
  ini.set("post_process", "");
  const header = `printfab profile v${bases.version}: ${options.material}, ${num(options.layerHeight)} mm layers, ${num(options.infill * 100)}% infill, printer ${printer.name}`;
  const text = formatIni(header, ini);
  return { ini: text, hash: createHash("sha256").update(text).digest("hex"), version: bases.version };
}
