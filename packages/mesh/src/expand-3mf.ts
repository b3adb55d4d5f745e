import { MeshError, MeshTooLargeError } from "./errors.ts";
import type { Mesh } from "./mesh.ts";

/** A parsed XML element (fast-xml-parser's shape: attributes and child elements as properties). */
export type Xml = Record<string, unknown>;
export const list = (v: unknown): Xml[] => (v === undefined ? [] : Array.isArray(v) ? (v as Xml[]) : [v as Xml]);

type Transform = number[] | undefined;

/** An object placed by a build item or a component. */
export interface Placement {
  id: string;
  transform: Transform;
}

/** Components nest at most this deep below a build item. */
const MAX_DEPTH = 16;
/** Twelve numbers need a few hundred characters; a longer attribute would only cost a huge split. */
const MAX_TRANSFORM_CHARS = 1024;
const INDEX = /^\d+$/;

/** Row-vector 3MF transform: 12 numbers, the last three the translation. */
export function parseTransform(text: unknown): Transform {
  if (typeof text !== "string") return undefined;
  const m = text.length > MAX_TRANSFORM_CHARS ? [] : text.trim().split(/\s+/).map(Number);
  if (m.length !== 12 || m.some((x) => !Number.isFinite(x))) {
    throw new MeshError(`invalid 3MF transform "${text.slice(0, 100)}"`);
  }
  return m;
}

/** A point through a row-vector 3MF transform (the last three numbers are the translation). */
function transformPoint(m: number[], x: number, y: number, z: number): [number, number, number] {
  const at = (i: number) => m[i] as number;
  return [
    x * at(0) + y * at(3) + z * at(6) + at(9),
    x * at(1) + y * at(4) + z * at(7) + at(10),
    x * at(2) + y * at(5) + z * at(8) + at(11),
  ];
}

function compose(a: Transform, b: Transform): Transform {
  if (!a) return b;
  if (!b) return a;
  // Apply a, then b: p * A * B, for 4x3 row-major affine matrices.
  const r = new Array<number>(12);
  for (let row = 0; row < 4; row++) {
    for (let col = 0; col < 3; col++) {
      let s = row === 3 ? (b[9 + col] as number) : 0;
      for (let k = 0; k < 3; k++) s += (a[row * 3 + k] as number) * (b[k * 3 + col] as number);
      r[row * 3 + col] = s;
    }
  }
  return r;
}

/** An object with everything below it counted: each object is visited once, however often it is placed. */
interface Node {
  /** Triangles of the object and of its components, recursively. */
  triangles: number;
  /** Placements in that tree (itself included) that hold triangles: the emission's steps besides copying. */
  placements: number;
  /** Component levels below the object. */
  height: number;
  children: Placement[];
  mesh: Xml | undefined;
  geometry?: { vertices: Float64Array; corners: Uint32Array };
}

/** Memoised, cycle-safe counts of what each object expands to, refused past `max` as soon as they get there. */
class BuildCounter {
  readonly #nodes = new Map<string, Node>();
  readonly #visiting = new Set<string>();

  constructor(
    private readonly objects: Map<string, Xml>,
    private readonly max: number,
  ) {}

  /** A counted object (only those `count` reached exist). */
  node(id: string): Node {
    return this.#nodes.get(id) as Node;
  }

  count(id: string, depth: number): Node {
    const known = this.#nodes.get(id);
    if (known && depth + known.height <= MAX_DEPTH) return known;
    if (known || depth > MAX_DEPTH) throw new MeshError("3MF components nest too deep");
    if (this.#visiting.has(id)) throw new MeshError(`3MF components form a cycle through object ${id}`);
    const obj = this.objects.get(id);
    if (!obj) throw new MeshError(`3MF refers to object ${id}, which does not exist`);
    this.#visiting.add(id);
    const mesh = obj.mesh as Xml | undefined;
    const triangles = list((mesh?.triangles as Xml | undefined)?.triangle).length;
    const node: Node = { triangles, placements: 0, height: 0, children: [], mesh };
    for (const c of list((obj.components as Xml | undefined)?.component)) {
      const child = { id: String(c.objectid), transform: parseTransform(c.transform) };
      const counted = this.count(child.id, depth + 1);
      node.children.push(child);
      node.height = Math.max(node.height, counted.height + 1);
      node.triangles += counted.triangles;
      node.placements += counted.placements;
      this.check(node.triangles, node.placements, `3MF object ${id}`);
    }
    if (node.triangles > 0) node.placements++;
    this.check(node.triangles, node.placements, `3MF object ${id}`);
    this.#visiting.delete(id);
    this.#nodes.set(id, node);
    return node;
  }

  check(triangles: number, placements: number, what: string): void {
    if (triangles > this.max || placements > this.max) {
      throw new MeshTooLargeError(`${what} expands to more than ${this.max} triangles or parts, the limit`);
    }
  }
}

/** An object's own vertices and triangle corners, read and checked once however often it is placed. */
function geometryOf(node: Node): NonNullable<Node["geometry"]> {
  if (node.geometry) return node.geometry;
  const vs = list((node.mesh?.vertices as Xml | undefined)?.vertex);
  const vertices = new Float64Array(vs.length * 3);
  vs.forEach((v, i) => {
    vertices[i * 3] = Number(v.x);
    vertices[i * 3 + 1] = Number(v.y);
    vertices[i * 3 + 2] = Number(v.z);
  });
  const ts = list((node.mesh?.triangles as Xml | undefined)?.triangle);
  const corners = new Uint32Array(ts.length * 3);
  ts.forEach((t, i) => {
    for (let k = 0; k < 3; k++) {
      const ref = t[`v${k + 1}`];
      if (typeof ref !== "string" || !INDEX.test(ref) || Number(ref) >= vs.length) {
        throw new MeshError(`3MF triangle refers to vertex ${String(ref)}, which does not exist`);
      }
      corners[i * 3 + k] = Number(ref);
    }
  });
  node.geometry = { vertices, corners };
  return node.geometry;
}

/**
 * The build's triangles in millimetres. Everything is counted first, so a component bomb is refused before
 * anything is allocated, and the output is one Float32Array of the exact size.
 */
export function expandBuild(objects: Map<string, Xml>, items: Placement[], scale: number, maxTriangles: number): Mesh {
  const counter = new BuildCounter(objects, maxTriangles);
  let total = 0;
  let placements = 0;
  for (const item of items) {
    const node = counter.count(item.id, 0);
    total += node.triangles;
    placements += node.placements;
    counter.check(total, placements, "the 3MF build");
  }
  if (total === 0) throw new MeshError("3MF has no triangles");
  const positions = new Float32Array(total * 9);
  let at = 0;
  const emit = (p: Placement) => {
    const node = counter.node(p.id);
    // Skipping empty subtrees bounds the walk by the triangles and placements counted above.
    if (node.triangles === 0) return;
    const { vertices, corners } = geometryOf(node);
    for (const c of corners) {
      let x = vertices[c * 3] as number,
        y = vertices[c * 3 + 1] as number,
        z = vertices[c * 3 + 2] as number;
      if (p.transform) [x, y, z] = transformPoint(p.transform, x, y, z);
      positions[at++] = x * scale;
      positions[at++] = y * scale;
      positions[at++] = z * scale;
    }
    for (const c of node.children) emit({ id: c.id, transform: compose(c.transform, p.transform) });
  };
  for (const item of items) emit(item);
  return { positions, triangleCount: total };
}
