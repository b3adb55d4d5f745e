import type { SliceFigures } from "@printfab/contracts";

/** `1d 2h 3m 4s`, any part absent (PrusaSlicer's estimate format) -> seconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(?:(\d+)d\s*)?(?:(\d+)h\s*)?(?:(\d+)m\s*)?(?:(\d+)s)?\s*$/.exec(text);
  if (!m || text.trim() === "") return undefined;
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((v) => Number(v ?? 0)) as [number, number, number, number];
  return ((d * 24 + h) * 60 + min) * 60 + s;
}

type Estimate = "printTimeSeconds" | "filamentMm" | "filamentCm3" | "filamentGrams";

// A value per extruder, comma-separated: the part's total is their sum.
const total = (value: string) => value.split(",").reduce((sum, v) => sum + Number(v.trim()), 0);

/** The `; name = value` comments read, and how each value is read. */
const FIELDS: Record<string, { key: Estimate; read: (value: string) => number | undefined }> = {
  "estimated printing time (normal mode)": { key: "printTimeSeconds", read: parseDuration },
  "filament used [mm]": { key: "filamentMm", read: total },
  "filament used [cm3]": { key: "filamentCm3", read: total },
  "total filament used [g]": { key: "filamentGrams", read: total },
};

/**
 * The figures of a G-code file PrusaSlicer wrote, read line by line (files run to hundreds of MB): the
 * estimates it writes as `; name = value` comments near the end, and one `;LAYER_CHANGE` per layer.
 * Pure: feed it lines, then ask for the result.
 */
export class GcodeFiguresReader {
  readonly #found = new Map<Estimate, number>();
  #layers = 0;

  push(line: string): void {
    if (line.startsWith(";LAYER_CHANGE")) {
      this.#layers++;
      return;
    }
    if (!line.startsWith("; ")) return;
    const eq = line.indexOf(" = ");
    const field = eq < 0 ? undefined : FIELDS[line.slice(2, eq)];
    const value = field?.read(line.slice(eq + 3));
    if (field && value !== undefined && Number.isFinite(value)) this.#found.set(field.key, value);
  }

  /** The figures, with the slicer's warnings; throws when the file lacks an estimate (not a finished slice). */
  result(warnings: readonly string[]): SliceFigures {
    const get = (name: string) => {
      const field = FIELDS[name] as (typeof FIELDS)[string];
      const v = this.#found.get(field.key);
      if (v === undefined) throw new Error(`the G-code lacks the slicer's '${name}'`);
      return v;
    };
    return {
      printTimeSeconds: get("estimated printing time (normal mode)"),
      filamentMm: get("filament used [mm]"),
      filamentCm3: get("filament used [cm3]"),
      filamentGrams: get("total filament used [g]"),
      layerCount: this.#layers,
      warnings: [...warnings],
    };
  }
}

/** Figures of a whole G-code text (tests, small files). */
export function parseGcodeFigures(gcode: string, warnings: readonly string[] = []): SliceFigures {
  const reader = new GcodeFiguresReader();
  for (const line of gcode.split("\n")) reader.push(line.replace(/\r$/, ""));
  return reader.result(warnings);
}

const PROGRESS = /^(\d{1,3}) => (.*)$/;
const NOISE = /^\[[^\]]+\] \[[^\]]+\] \[(trace|debug|info)\]|^Slicing result exported to |^\d{1,3} => /;
const MAX_WARNINGS = 20;
const MAX_WARNING_CHARS = 300;

/** The slicer's progress from a line of its output (`70 => Infilling layers`): 0..1, or undefined. */
export function progressOf(line: string): number | undefined {
  const m = PROGRESS.exec(line);
  return m ? Math.min(100, Number(m[1])) / 100 : undefined;
}

/**
 * What the slicer said besides its progress and log chatter: its warnings (a successful run) or its
 * reasons (a failed one), bounded in count and length since they are shown to clients.
 */
export function slicerMessages(output: string): string[] {
  const out: string[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || NOISE.test(line)) continue;
    const text = line.replace(/^\[[^\]]+\] \[[^\]]+\] \[(warning|error)\]\s*/, "").slice(0, MAX_WARNING_CHARS);
    if (!out.includes(text)) out.push(text);
    if (out.length === MAX_WARNINGS) break;
  }
  return out;
}
