import { CHART_WINDOW_MS, linePath, type Point } from "../lib/series.ts";
import { h } from "../ui/dom.ts";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 300;
const HEIGHT = 60;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/**
 * A small line chart of the last five minutes, drawn as SVG (no chart library). The SVG stretches to its
 * box, so its scale is written beside it in HTML, where text keeps its shape.
 */
export function lineChart(testId: string, label: string) {
  const line = svg("path", { class: "line", d: "" });
  const plot = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "none", "aria-hidden": "true" });
  plot.append(line);
  const scale = h("span", { class: "scale" });
  const el = h("figure", { class: "chart", role: "img", "aria-label": label, "data-testid": testId }, plot, scale);
  return {
    el,
    draw(series: readonly Point[], now: number, format: (v: number) => string) {
      const { d, max } = linePath(series, now, WIDTH, HEIGHT, CHART_WINDOW_MS);
      line.setAttribute("d", d);
      el.dataset.points = String(series.length);
      scale.textContent = series.length ? `5 min · max ${format(max)}` : "";
    },
  };
}
