import { formatNumber, formatSize } from "../lib/format.ts";
import type { Measurements } from "../lib/types.ts";
import { h } from "../ui/dom.ts";

/** A model's measurements as a definition list. */
export function measurementList(m: Measurements, testId: string) {
  const rows: Array<[string, string]> = [
    ["Size", formatSize(m.bbox.size)],
    ["Volume", `${formatNumber(m.volume / 1000, 2)} cm³`],
    ["Surface", `${formatNumber(m.surfaceArea / 100, 1)} cm²`],
    ["Triangles", formatNumber(m.triangleCount)],
    ["Watertight", m.watertight ? "yes" : "no: the price assumes it were closed"],
  ];
  if (m.inverted) rows.push(["Normals", "inverted (faces point inwards)"]);
  return h(
    "dl",
    { class: "measurements", "data-testid": testId },
    rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}
