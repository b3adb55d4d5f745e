/** Small hand-made SVG charts for the report: grouped bars (off vs on) and lines. No chart library needed. */
const COLORS = { off: "#c0504d", on: "#4f81bd" };
const esc = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] as string);
const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v >= 1 ? v.toFixed(1) : v.toFixed(3));

/** The chart's frame: white background and centred title. */
const open = (w: number, h: number, title: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/><text x="${w / 2}" y="22" font-size="15" text-anchor="middle">${esc(title)}</text>`;

/** Which colour is which mode, bottom right. */
const legend = (w: number, h: number) =>
  `<rect x="${w - 170}" y="${h - 30}" width="12" height="12" fill="${COLORS.off}"/><text x="${w - 152}" y="${h - 20}" font-size="11">CACHE=off</text><rect x="${w - 85}" y="${h - 30}" width="12" height="12" fill="${COLORS.on}"/><text x="${w - 67}" y="${h - 20}" font-size="11">cache on</text>`;

export function barChart(
  title: string,
  groups: Array<{ label: string; off: number; on: number }>,
  unit: string,
  log = false,
): string {
  const w = 720;
  const h = 320;
  const left = 60;
  const bottom = 260;
  const top = 40;
  const max = Math.max(...groups.flatMap((g) => [g.off, g.on]), 1e-9);
  const scale = (v: number) =>
    log ? (Math.log10(1 + v) / Math.log10(1 + max)) * (bottom - top) : (v / max) * (bottom - top);
  const gw = (w - left - 20) / groups.length;
  const bars = groups
    .map((g, i) => {
      const x = left + i * gw + gw * 0.15;
      const bw = gw * 0.33;
      const bar = (v: number, dx: number, color: string) =>
        `<rect x="${x + dx}" y="${bottom - scale(v)}" width="${bw}" height="${scale(v)}" fill="${color}"/><text x="${x + dx + bw / 2}" y="${bottom - scale(v) - 4}" font-size="10" text-anchor="middle">${fmt(v)}</text>`;
      return `${bar(g.off, 0, COLORS.off)}${bar(g.on, bw, COLORS.on)}<text x="${x + bw}" y="${bottom + 16}" font-size="11" text-anchor="middle">${esc(g.label)}</text>`;
    })
    .join("");
  return `${open(w, h, title)}<line x1="${left}" y1="${bottom}" x2="${w - 10}" y2="${bottom}" stroke="#333"/><text x="14" y="${(top + bottom) / 2}" font-size="11" transform="rotate(-90 14 ${(top + bottom) / 2})" text-anchor="middle">${esc(unit)}${log ? " (log)" : ""}</text>${bars}${legend(w, h)}</svg>`;
}

export function lineChart(
  title: string,
  series: Array<{ name: "off" | "on"; points: Array<[number, number]> }>,
  xLabel: string,
  yLabel: string,
): string {
  const w = 720;
  const h = 320;
  const left = 60;
  const bottom = 260;
  const top = 40;
  const right = w - 20;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const maxX = Math.max(...xs, 1);
  const maxY = Math.max(...ys, 1e-9);
  const px = (x: number) => left + (x / maxX) * (right - left);
  const py = (y: number) => bottom - (y / maxY) * (bottom - top);
  const lines = series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${COLORS[s.name]}" stroke-width="2" points="${s.points.map(([x, y]) => `${px(x)},${py(y)}`).join(" ")}"/>`,
    )
    .join("");
  return `${open(w, h, title)}<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/><line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/><text x="${left - 6}" y="${top + 4}" font-size="10" text-anchor="end">${fmt(maxY)}</text><text x="${right}" y="${bottom + 16}" font-size="10" text-anchor="end">${fmt(maxX)}</text><text x="${(left + right) / 2}" y="${bottom + 30}" font-size="11" text-anchor="middle">${esc(xLabel)}</text><text x="14" y="${(top + bottom) / 2}" font-size="11" transform="rotate(-90 14 ${(top + bottom) / 2})" text-anchor="middle">${esc(yLabel)}</text>${lines}${legend(w, h)}</svg>`;
}
