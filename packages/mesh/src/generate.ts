import type { Mesh } from "./mesh.ts";

/** Procedural, closed, outward-facing meshes: test oracles and the demo catalogue's models. */

const tri = (out: number[], a: number[], b: number[], c: number[]) => out.push(...a, ...b, ...c);
const quad = (out: number[], a: number[], b: number[], c: number[], d: number[]) => {
  tri(out, a, b, c);
  tri(out, a, c, d);
};
const done = (out: number[]): Mesh => ({ positions: Float32Array.from(out), triangleCount: out.length / 9 });

export function box(sx: number, sy: number, sz: number): Mesh {
  const o: number[] = [];
  const v = (x: number, y: number, z: number) => [x * sx, y * sy, z * sz];
  quad(o, v(0, 0, 0), v(0, 1, 0), v(1, 1, 0), v(1, 0, 0));
  quad(o, v(0, 0, 1), v(1, 0, 1), v(1, 1, 1), v(0, 1, 1));
  quad(o, v(0, 0, 0), v(1, 0, 0), v(1, 0, 1), v(0, 0, 1));
  quad(o, v(0, 1, 0), v(0, 1, 1), v(1, 1, 1), v(1, 1, 0));
  quad(o, v(0, 0, 0), v(0, 0, 1), v(0, 1, 1), v(0, 1, 0));
  quad(o, v(1, 0, 0), v(1, 1, 0), v(1, 1, 1), v(1, 0, 1));
  return done(o);
}

export function tetrahedron(s: number): Mesh {
  const a = [0, 0, 0],
    b = [s, 0, 0],
    c = [0, s, 0],
    d = [0, 0, s];
  const o: number[] = [];
  tri(o, a, c, b);
  tri(o, a, b, d);
  tri(o, a, d, c);
  tri(o, b, c, d);
  return done(o);
}

/** A solid of revolution around z from a closed profile of (r, z) points, counter-clockwise. */
function lathe(profile: Array<[number, number]>, segments: number): Mesh {
  const o: number[] = [];
  const at = (r: number, z: number, k: number) => {
    const t = (2 * Math.PI * (k % segments)) / segments;
    return [r * Math.cos(t), r * Math.sin(t), z];
  };
  for (let i = 0; i < profile.length; i++) {
    const [r0, z0] = profile[i] as [number, number];
    const [r1, z1] = profile[(i + 1) % profile.length] as [number, number];
    for (let k = 0; k < segments; k++) {
      const a = at(r0, z0, k),
        b = at(r0, z0, k + 1),
        c = at(r1, z1, k + 1),
        d = at(r1, z1, k);
      if (r0 === 0) tri(o, a, c, d);
      else if (r1 === 0) tri(o, a, b, c);
      else quad(o, a, b, c, d);
    }
  }
  return done(o);
}

export function cylinder(r: number, h: number, segments = 64): Mesh {
  return lathe(
    [
      [0, 0],
      [r, 0],
      [r, h],
      [0, h],
    ],
    segments,
  );
}

/** A tube: a box-with-a-hole oracle of revolution (outer r, inner r). */
export function tube(outer: number, inner: number, h: number, segments = 64): Mesh {
  return lathe(
    [
      [inner, 0],
      [outer, 0],
      [outer, h],
      [inner, h],
    ],
    segments,
  );
}

export function sphere(r: number, segments = 64, rings = 32): Mesh {
  const profile: Array<[number, number]> = [[0, -r]];
  for (let i = 1; i < rings; i++) {
    const phi = -Math.PI / 2 + (Math.PI * i) / rings;
    profile.push([r * Math.cos(phi), r * Math.sin(phi)]);
  }
  profile.push([0, r]);
  return lathe(profile, segments);
}

export function torus(major: number, minor: number, segments = 64, sides = 32): Mesh {
  const profile: Array<[number, number]> = [];
  for (let i = 0; i < sides; i++) {
    const t = -Math.PI / 2 + (2 * Math.PI * i) / sides;
    profile.push([major + minor * Math.cos(t), minor * Math.sin(t)]);
  }
  return lathe(profile, segments);
}

/** A spur gear: an extruded star-ish outline with `teeth` teeth. */
export function gear(teeth: number, radius: number, thickness: number): Mesh {
  const pts: Array<[number, number]> = [];
  const steps = teeth * 4;
  for (let i = 0; i < steps; i++) {
    const t = (2 * Math.PI * i) / steps;
    const r = i % 4 < 2 ? radius : radius * 0.82;
    pts.push([r * Math.cos(t), r * Math.sin(t)]);
  }
  const o: number[] = [];
  const c0 = [0, 0, 0],
    c1 = [0, 0, thickness];
  for (let i = 0; i < pts.length; i++) {
    const [x0, y0] = pts[i] as [number, number];
    const [x1, y1] = pts[(i + 1) % pts.length] as [number, number];
    tri(o, c0, [x1, y1, 0], [x0, y0, 0]);
    tri(o, c1, [x0, y0, thickness], [x1, y1, thickness]);
    quad(o, [x0, y0, 0], [x1, y1, 0], [x1, y1, thickness], [x0, y0, thickness]);
  }
  return done(o);
}

/** A mesh moved by (dx, dy, dz), or scaled by k about the origin. */
export function transform(mesh: Mesh, f: (x: number, y: number, z: number) => [number, number, number]): Mesh {
  const positions = new Float32Array(mesh.positions.length);
  for (let i = 0; i < positions.length; i += 3) {
    const [x, y, z] = f(mesh.positions[i] as number, mesh.positions[i + 1] as number, mesh.positions[i + 2] as number);
    positions[i] = x;
    positions[i + 1] = y;
    positions[i + 2] = z;
  }
  return { positions, triangleCount: mesh.triangleCount };
}
