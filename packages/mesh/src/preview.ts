import { PNG } from "pngjs";
import { triangleCross } from "./basic.ts";
import type { Mesh } from "./mesh.ts";

export const PREVIEW_SIZES = { min: 64, max: 1024, default: 256 } as const;

/** RGBA, repeated over the frame before drawing. */
const BACKGROUND = Uint8Array.of(245, 246, 248, 255);

// Isometric view: rotate 45° about z, then tilt by atan(1/sqrt(2)) about x.
const C45 = Math.SQRT1_2;
const TILT = Math.atan(1 / Math.SQRT2);
const CT = Math.cos(TILT),
  ST = Math.sin(TILT);
const LIGHT = (() => {
  const l = [0.4, 0.5, 0.77];
  const n = Math.hypot(l[0] as number, l[1] as number, l[2] as number);
  return l.map((x) => x / n) as [number, number, number];
})();

/**
 * Renders an isometric PNG of the mesh, fitted to the frame: a z-buffered software rasterizer with
 * flat Lambert shading, no GPU. Deterministic: the same mesh and size give the same bytes.
 */
export function renderPreview(mesh: Mesh, size: number = PREVIEW_SIZES.default): Buffer {
  if (!Number.isInteger(size) || size < PREVIEW_SIZES.min || size > PREVIEW_SIZES.max) {
    throw new RangeError(`preview size must be a whole number from ${PREVIEW_SIZES.min} to ${PREVIEW_SIZES.max}`);
  }
  const frame = fit(mesh.positions, mesh.triangleCount * 3, size);
  const png = new PNG({ width: size, height: size });
  png.data.fill(BACKGROUND);
  const depth = new Float32Array(size * size).fill(Infinity);
  const screen = new Float32Array(9);
  for (let t = 0; t < mesh.triangleCount; t++) {
    project(mesh.positions, t * 9, frame, screen);
    rasterize(mesh.positions, t * 9, screen, size, depth, png.data);
  }
  return PNG.sync.write(png);
}

/** Where the view's x and y of a vertex start and how far they are scaled to fit the frame, with a margin. */
interface Frame {
  minX: number;
  minY: number;
  scale: number;
  ox: number;
  oy: number;
  size: number;
}

function fit(p: Float32Array, corners: number, size: number): Frame {
  let minX = Infinity,
    maxX = -Infinity,
    minY = Infinity,
    maxY = -Infinity;
  for (let i = 0; i < corners * 3; i += 3) {
    const x = p[i] as number,
      y = p[i + 1] as number,
      z = p[i + 2] as number;
    const rx = (x - y) * C45;
    const vy = z * CT - (x + y) * C45 * ST;
    if (rx < minX) minX = rx;
    if (rx > maxX) maxX = rx;
    if (vy < minY) minY = vy;
    if (vy > maxY) maxY = vy;
  }
  const margin = size * 0.06;
  const scale = (size - 2 * margin) / Math.max(maxX - minX, maxY - minY, 1e-9);
  return { minX, minY, scale, ox: (size - (maxX - minX) * scale) / 2, oy: (size - (maxY - minY) * scale) / 2, size };
}

/**
 * A triangle's corners in pixels (x right, y down) and depth (towards the viewer is smaller), each rounded
 * to float32 at the steps where the renderer used to store them in Float32Arrays, so the pixels are those
 * it drew: three arrays of 12 MB apiece for a million triangles are not made any more.
 */
function project(p: Float32Array, i: number, f: Frame, out: Float32Array): void {
  for (let k = 0; k < 9; k += 3) {
    const x = p[i + k] as number,
      y = p[i + k + 1] as number,
      z = p[i + k + 2] as number;
    const ry = (x + y) * C45;
    out[k] = f.ox + (Math.fround((x - y) * C45) - f.minX) * f.scale;
    out[k + 1] = f.size - (f.oy + (Math.fround(z * CT - ry * ST) - f.minY) * f.scale);
    out[k + 2] = -(z * ST + ry * CT);
  }
}

/**
 * Fills the pixels whose centres the triangle covers and that are nearer than what is drawn there. Only
 * those centres' rows and columns are visited: most triangles of a big mesh cover none, and they are not
 * shaded at all.
 */
function rasterize(p: Float32Array, i: number, s: Float32Array, size: number, depth: Float32Array, px: Buffer): void {
  const ax = s[0] as number,
    ay = s[1] as number,
    bx = s[3] as number,
    by = s[4] as number,
    cx = s[6] as number,
    cy = s[7] as number;
  const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  if (area === 0) return;
  const x0 = Math.max(0, Math.ceil(Math.min(ax, bx, cx) - 0.5)),
    x1 = Math.min(size - 1, Math.floor(Math.max(ax, bx, cx) - 0.5));
  const y0 = Math.max(0, Math.ceil(Math.min(ay, by, cy) - 0.5)),
    y1 = Math.min(size - 1, Math.floor(Math.max(ay, by, cy) - 0.5));
  if (x0 > x1 || y0 > y1) return;
  const az = s[2] as number,
    bz = s[5] as number,
    cz = s[8] as number;
  const inv = 1 / area;
  let colour = -1;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const pxx = x + 0.5;
      const w0 = ((bx - pxx) * (cy - py) - (by - py) * (cx - pxx)) * inv;
      const w1 = ((cx - pxx) * (ay - py) - (cy - py) * (ax - pxx)) * inv;
      const w2 = 1 - w0 - w1;
      if (w0 < 0 || w1 < 0 || w2 < 0) continue;
      const zz = w0 * az + w1 * bz + w2 * cz;
      const k = y * size + x;
      if (zz >= (depth[k] as number)) continue;
      depth[k] = zz;
      if (colour < 0) colour = shade(p, i);
      px[k * 4] = colour & 0xff;
      px[k * 4 + 1] = (colour >> 8) & 0xff;
      px[k * 4 + 2] = colour >> 16;
    }
  }
}

const normalScratch = new Float64Array(5);

/** The triangle's colour as 0xBBGGRR: by its world-space normal, facing either way (meshes may be inverted). */
function shade(p: Float32Array, i: number): number {
  const n = triangleCross(p, i, normalScratch);
  const len = Math.hypot(n[0] as number, n[1] as number, n[2] as number) || 1;
  const nx = (n[0] as number) / len,
    ny = (n[1] as number) / len,
    nz = (n[2] as number) / len;
  const lambert = Math.abs(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2]);
  const light = 0.25 + 0.75 * lambert;
  return Math.round(40 + 60 * light) | (Math.round(90 + 110 * light) << 8) | (Math.round(160 + 90 * light) << 16);
}
