import { PNG } from "pngjs";
import type { Measurements } from "../src/measure.ts";
import type { Mesh } from "../src/mesh.ts";

/**
 * Straightforward versions of the measurements and the preview, written for clarity rather than speed
 * (string-keyed Maps, arrays per vertex): the oracles the fast paths must match exactly.
 */

export function referenceMeasure(mesh: Mesh, tolerance = 1e-4): Measurements {
  const p = Array.from(mesh.positions);
  let vol6 = 0;
  let area2 = 0;
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  const ids: number[] = [];
  const vertexOf = new Map<string, number>();
  for (let t = 0; t < mesh.triangleCount; t++) {
    const [a, b, c] = [0, 1, 2].map((k) => p.slice(t * 9 + k * 3, t * 9 + k * 3 + 3)) as [number[], number[], number[]];
    vol6 += dot(a, cross(b, c));
    area2 += Math.sqrt(norm2(cross(sub(b, a), sub(c, a))));
    for (let axis = 0; axis < 3; axis++) {
      for (const v of [a, b, c]) {
        if ((v[axis] as number) < (min[axis] as number)) min[axis] = v[axis] as number;
        if ((v[axis] as number) > (max[axis] as number)) max[axis] = v[axis] as number;
      }
    }
    for (const v of [a, b, c]) {
      // `+ 0` makes -0 a 0: one cell.
      const cell = v.map((x) => Math.round(x * (1 / tolerance)) + 0).join(",");
      if (!vertexOf.has(cell)) vertexOf.set(cell, vertexOf.size);
      ids.push(vertexOf.get(cell) as number);
    }
  }
  const volume = vol6 / 6;
  return {
    triangleCount: mesh.triangleCount,
    bbox: {
      min: min as [number, number, number],
      max: max as [number, number, number],
      size: max.map((x, axis) => x - (min[axis] as number)) as [number, number, number],
    },
    volume: Math.abs(volume),
    surfaceArea: area2 / 2,
    inverted: volume < 0,
    vertexCount: vertexOf.size,
    ...referenceTopology(p, ids, mesh.triangleCount),
  };
}

function referenceTopology(p: number[], ids: number[], triangleCount: number) {
  const edges = new Map<string, { uses: number; forward: number }>();
  let degenerate = 0;
  for (let t = 0; t < triangleCount; t++) {
    const [a, b, c] = ids.slice(t * 3, t * 3 + 3) as [number, number, number];
    if (a === b || b === c || a === c) {
      degenerate++;
      continue;
    }
    const corner = (k: number) => p.slice(t * 9 + k * 3, t * 9 + k * 3 + 3);
    const u = sub(corner(1), corner(0));
    const v = sub(corner(2), corner(0));
    if (norm2(cross(u, v)) <= 1e-12 * norm2(u) * norm2(v)) degenerate++;
    for (const [from, to] of [
      [a, b],
      [b, c],
      [c, a],
    ] as const) {
      const key = `${Math.min(from, to)},${Math.max(from, to)}`;
      const edge = edges.get(key) ?? { uses: 0, forward: 0 };
      edge.uses++;
      if (from < to) edge.forward++;
      edges.set(key, edge);
    }
  }
  const all = [...edges.values()];
  const boundary = all.filter((e) => e.uses === 1).length;
  const nonManifold = all.filter((e) => e.uses > 2).length;
  const inconsistent = all.filter((e) => e.uses === 2 && e.forward !== 1).length;
  return {
    watertight: boundary === 0 && nonManifold === 0 && all.length > 0,
    consistentOrientation: inconsistent === 0 && nonManifold === 0,
    boundaryEdges: boundary,
    nonManifoldEdges: nonManifold,
    degenerateTriangles: degenerate,
  };
}

const sub = (a: number[], b: number[]) => a.map((x, i) => x - (b[i] as number));
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
const norm2 = (a: number[]) => dot(a, a);
const cross = ([ax, ay, az]: number[], [bx, by, bz]: number[]) => [
  (ay as number) * (bz as number) - (az as number) * (by as number),
  (az as number) * (bx as number) - (ax as number) * (bz as number),
  (ax as number) * (by as number) - (ay as number) * (bx as number),
];

/**
 * The preview as first written: every vertex projected into three Float32Arrays, every triangle's pixel
 * box (rounded outwards) tested, every triangle shaded. Returns the RGBA pixels.
 */
export function referencePreviewPixels(mesh: Mesh, size: number): Buffer {
  const n = mesh.triangleCount * 3;
  const p = mesh.positions;
  const C45 = Math.SQRT1_2;
  const tilt = Math.atan(1 / Math.SQRT2);
  const [ct, st] = [Math.cos(tilt), Math.sin(tilt)];
  const ln = Math.hypot(0.4, 0.5, 0.77);
  const light = [0.4 / ln, 0.5 / ln, 0.77 / ln] as const;
  const [sx, sy, sz] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const [x, y, z] = [p[i * 3] as number, p[i * 3 + 1] as number, p[i * 3 + 2] as number];
    const rx = (x - y) * C45;
    const ry = (x + y) * C45;
    const vy = z * ct - ry * st;
    [sx[i], sy[i], sz[i]] = [rx, vy, -(z * st + ry * ct)];
    [minX, maxX, minY, maxY] = [Math.min(minX, rx), Math.max(maxX, rx), Math.min(minY, vy), Math.max(maxY, vy)];
  }
  const margin = size * 0.06;
  const scale = (size - 2 * margin) / Math.max(maxX - minX, maxY - minY, 1e-9);
  const [ox, oy] = [(size - (maxX - minX) * scale) / 2, (size - (maxY - minY) * scale) / 2];
  for (let i = 0; i < n; i++) {
    sx[i] = ox + ((sx[i] as number) - minX) * scale;
    sy[i] = size - (oy + ((sy[i] as number) - minY) * scale);
  }
  const depth = new Float32Array(size * size).fill(Infinity);
  const png = new PNG({ width: size, height: size });
  for (let k = 0; k < size * size; k++) png.data.set([245, 246, 248, 255], k * 4);
  for (let t = 0; t < mesh.triangleCount; t++) {
    const [a, b, c] = [t * 3, t * 3 + 1, t * 3 + 2];
    const [ax, ay, bx, by, cx, cy] = [sx[a], sy[a], sx[b], sy[b], sx[c], sy[c]] as number[] as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    if (area === 0) continue;
    const inv = 1 / area;
    const corner = (k: number) => Array.from(p.subarray(t * 9 + k * 3, t * 9 + k * 3 + 3));
    const normal = cross(sub(corner(1), corner(0)), sub(corner(2), corner(0)));
    const len = Math.hypot(...normal) || 1;
    const unit = normal.map((x) => x / len);
    const shade = 0.25 + 0.75 * Math.abs(dot(unit, [...light]));
    const rgb = [Math.round(40 + 60 * shade), Math.round(90 + 110 * shade), Math.round(160 + 90 * shade)];
    const [x0, x1] = [
      Math.max(0, Math.floor(Math.min(ax, bx, cx))),
      Math.min(size - 1, Math.ceil(Math.max(ax, bx, cx))),
    ];
    const [y0, y1] = [
      Math.max(0, Math.floor(Math.min(ay, by, cy))),
      Math.min(size - 1, Math.ceil(Math.max(ay, by, cy))),
    ];
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const [px, py] = [x + 0.5, y + 0.5];
        const w0 = ((bx - px) * (cy - py) - (by - py) * (cx - px)) * inv;
        const w1 = ((cx - px) * (ay - py) - (cy - py) * (ax - px)) * inv;
        const w2 = 1 - w0 - w1;
        if (w0 < 0 || w1 < 0 || w2 < 0) continue;
        const zz = w0 * (sz[a] as number) + w1 * (sz[b] as number) + w2 * (sz[c] as number);
        if (zz >= (depth[y * size + x] as number)) continue;
        depth[y * size + x] = zz;
        png.data.set(rgb, (y * size + x) * 4);
      }
    }
  }
  return png.data;
}
