import { PNG } from "pngjs";
import type { Mesh } from "./mesh.ts";

export const PREVIEW_SIZES = { min: 64, max: 1024, default: 256 } as const;

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
  const n = mesh.triangleCount * 3;
  const p = mesh.positions;
  // Project every vertex to view space (sx right, sy up, sz towards the viewer).
  const sx = new Float32Array(n),
    sy = new Float32Array(n),
    sz = new Float32Array(n);
  let minX = Infinity,
    maxX = -Infinity,
    minY = Infinity,
    maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = p[i * 3] as number,
      y = p[i * 3 + 1] as number,
      z = p[i * 3 + 2] as number;
    const rx = (x - y) * C45;
    const ry = (x + y) * C45;
    const vy = z * CT - ry * ST;
    const vz = z * ST + ry * CT;
    sx[i] = rx;
    sy[i] = vy;
    sz[i] = -vz;
    if (rx < minX) minX = rx;
    if (rx > maxX) maxX = rx;
    if (vy < minY) minY = vy;
    if (vy > maxY) maxY = vy;
  }
  const margin = size * 0.06;
  const scale = (size - 2 * margin) / Math.max(maxX - minX, maxY - minY, 1e-9);
  const ox = (size - (maxX - minX) * scale) / 2;
  const oy = (size - (maxY - minY) * scale) / 2;
  for (let i = 0; i < n; i++) {
    sx[i] = ox + ((sx[i] as number) - minX) * scale;
    sy[i] = size - (oy + ((sy[i] as number) - minY) * scale);
  }

  const depth = new Float32Array(size * size).fill(Infinity);
  const png = new PNG({ width: size, height: size });
  const px = png.data;
  for (let i = 0; i < px.length; i += 4) {
    px[i] = 245;
    px[i + 1] = 246;
    px[i + 2] = 248;
    px[i + 3] = 255;
  }
  for (let t = 0; t < mesh.triangleCount; t++) {
    const a = t * 3,
      b = a + 1,
      c = a + 2;
    const ax = sx[a] as number,
      ay = sy[a] as number,
      bx = sx[b] as number,
      by = sy[b] as number,
      cx = sx[c] as number,
      cy = sy[c] as number;
    const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    if (area === 0) continue;
    // Shade by the world-space normal, facing either way (meshes may be inverted).
    const i9 = t * 9;
    const ux = (p[i9 + 3] as number) - (p[i9] as number),
      uy = (p[i9 + 4] as number) - (p[i9 + 1] as number),
      uz = (p[i9 + 5] as number) - (p[i9 + 2] as number);
    const vx = (p[i9 + 6] as number) - (p[i9] as number),
      vy = (p[i9 + 7] as number) - (p[i9 + 1] as number),
      vz = (p[i9 + 8] as number) - (p[i9 + 2] as number);
    let nx = uy * vz - uz * vy,
      ny = uz * vx - ux * vz,
      nz = ux * vy - uy * vx;
    const len = Math.hypot(nx, ny, nz) || 1;
    nx /= len;
    ny /= len;
    nz /= len;
    const lambert = Math.abs(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2]);
    const shade = 0.25 + 0.75 * lambert;
    const r = Math.round(40 + 60 * shade),
      g = Math.round(90 + 110 * shade),
      bl = Math.round(160 + 90 * shade);

    const x0 = Math.max(0, Math.floor(Math.min(ax, bx, cx))),
      x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx, cx)));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by, cy))),
      y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by, cy)));
    const az = sz[a] as number,
      bz = sz[b] as number,
      cz = sz[c] as number;
    const inv = 1 / area;
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
        const o = k * 4;
        px[o] = r;
        px[o + 1] = g;
        px[o + 2] = bl;
      }
    }
  }
  return PNG.sync.write(png);
}
