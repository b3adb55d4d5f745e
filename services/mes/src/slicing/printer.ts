import type { Analysis, Printability } from "@printfab/contracts";

/** The shop's FDM printer: its build volume and nozzle go into every profile and every printability check. */
export interface PrinterSpec {
  name: string;
  /** Build volume: bed width (X), depth (Y) and the largest printable height (Z), in mm. */
  volumeMm: readonly [number, number, number];
  nozzleMm: number;
}

/** A Prusa MK3S-class printer: 250 x 210 mm bed, 210 mm high, 0.4 mm nozzle. */
export const DEFAULT_PRINTER: PrinterSpec = { name: "mk3s", volumeMm: [250, 210, 210], nozzleMm: 0.4 };

const AXES = ["width", "depth", "height"] as const;
const mm = (n: number) => `${Math.round(n * 10) / 10} mm`;

/**
 * Whether a measured model can be printed on `printer` as it is oriented in the file: its bounding box
 * inside the build volume (the slicer centres it on the bed, so only the size counts) and a closed,
 * consistently oriented surface. `warnings` are the slicer's, once sliced.
 */
export function printabilityOf(
  analysis: Pick<Analysis, "measurements">,
  printer: PrinterSpec,
  warnings: readonly string[] = [],
): Printability {
  const { bbox, watertight } = analysis.measurements;
  const problems: string[] = [];
  AXES.forEach((axis, i) => {
    const size = bbox.size[i] ?? 0;
    const max = printer.volumeMm[i] ?? 0;
    if (size > max) problems.push(`the model's ${axis} is ${mm(size)}, larger than the printer's ${mm(max)}`);
  });
  const fitsPrinter = problems.length === 0;
  if (!watertight)
    problems.push("the model's surface is not closed (not watertight): the slicer cannot tell inside from outside");
  return {
    printable: problems.length === 0,
    fitsPrinter,
    watertight,
    printer: { name: printer.name, volumeMm: [...printer.volumeMm], nozzleMm: printer.nozzleMm },
    problems,
    warnings: [...warnings],
  };
}
