import { MeshError, MeshTooLargeError } from "./errors.ts";
import type { Mesh } from "./mesh.ts";

/** A parsed XML element (fast-xml-parser's shape: attributes and child elements as properties). */
export type Xml = Record<string, unknown>;
export const list = (v: unknown): Xml[] => (v === undefined ? [] : Array.isArray(v) ? (v as Xml[]) : [v as Xml]);

type Transform = number[] | undefined;

/** Where an object is: a model part of the package (its key) and the object's id in that part. */
export interface ObjectRef {
  part: string;
  id: string;
}

/** An object placed by a build item or a component. */
export interface Placement extends ObjectRef {
  transform: Transform;
}

/** The package's objects as the build sees them; external model parts are read when first referred to. */
export interface ObjectStore {
  /** The object `ref` names, or a MeshError saying why there is none. */
  object(ref: ObjectRef): Xml;
  /** What a build item, or a component of an object in part `from`, refers to: its objectid in its part. */
  target(from: string, element: Xml): ObjectRef;
  /** `object 3`, or `object 3 of /3D/Objects/object_1.model` outside the root part: for messages. */
  describe(ref: ObjectRef): string;
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

/** Object types that are printed solid; `support` and `surface` meshes are not filled, so they hold no volume. */
const PRINTED = new Set(["model", "solidsupport"]);
const UNFILLED = new Set(["support", "surface"]);

/** Whether the object's own mesh and components are printed; a MeshError for types a build may not hold. */
function printed(object: Xml, what: () => string): boolean {
  const type = object.type === undefined ? "model" : String(object.type);
  if (PRINTED.has(type)) return true;
  if (UNFILLED.has(type)) return false;
  if (type === "other") throw new MeshError(`3MF build includes ${what()}, of type "other", which no build may hold`);
  throw new MeshError(
    `3MF ${what()} has type "${type.slice(0, 40)}", not one of model, solidsupport, support, surface, other`,
  );
}

/** An object with everything below it counted: each object is visited once, however often it is placed. */
interface Node {
  /** Triangles of the object and of its components, recursively. */
  triangles: number;
  /** Placements in that tree (itself included) that hold triangles: the emission's steps besides copying. */
  placements: number;
  /** Component levels below the object. */
  height: number;
  children: Array<{ node: Node; transform: Transform }>;
  mesh: Xml | undefined;
  geometry?: { vertices: Float64Array; corners: Uint32Array };
}

/** Memoised, cycle-safe counts of what each object expands to, refused past `max` as soon as they get there. */
class BuildCounter {
  /** Counted objects by part and id (a part key holds no NUL, so the pair is unambiguous). */
  readonly #nodes = new Map<string, Node>();
  readonly #visiting = new Set<string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly max: number,
  ) {}

  count(ref: ObjectRef, depth: number): Node {
    const key = `${ref.part}\0${ref.id}`;
    const known = this.#nodes.get(key);
    if (known && depth + known.height <= MAX_DEPTH) return known;
    if (known || depth > MAX_DEPTH) throw new MeshError("3MF components nest too deep");
    const what = () => this.store.describe(ref);
    if (this.#visiting.has(key)) throw new MeshError(`3MF components form a cycle through ${what()}`);
    const obj = this.store.object(ref);
    const node: Node = { triangles: 0, placements: 0, height: 0, children: [], mesh: undefined };
    if (!printed(obj, what)) {
      this.#nodes.set(key, node);
      return node;
    }
    this.#visiting.add(key);
    node.mesh = obj.mesh as Xml | undefined;
    node.triangles = list((node.mesh?.triangles as Xml | undefined)?.triangle).length;
    for (const c of list((obj.components as Xml | undefined)?.component)) {
      const transform = parseTransform(c.transform);
      const counted = this.count(this.store.target(ref.part, c), depth + 1);
      node.children.push({ node: counted, transform });
      node.height = Math.max(node.height, counted.height + 1);
      node.triangles += counted.triangles;
      node.placements += counted.placements;
      this.check(node.triangles, node.placements, `3MF ${what()}`);
    }
    if (node.triangles > 0) node.placements++;
    this.check(node.triangles, node.placements, `3MF ${what()}`);
    this.#visiting.delete(key);
    this.#nodes.set(key, node);
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
export function expandBuild(store: ObjectStore, items: Placement[], scale: number, maxTriangles: number): Mesh {
  const counter = new BuildCounter(store, maxTriangles);
  let total = 0;
  let placements = 0;
  const roots = items.map((item) => {
    const node = counter.count(item, 0);
    total += node.triangles;
    placements += node.placements;
    counter.check(total, placements, "the 3MF build");
    return { node, transform: item.transform };
  });
  if (total === 0) {
    throw new MeshError(
      "3MF has no triangles to print (only the meshes of objects of type model or solidsupport are printed)",
    );
  }
  const positions = new Float32Array(total * 9);
  let at = 0;
  const emit = (node: Node, transform: Transform) => {
    // Skipping empty subtrees bounds the walk by the triangles and placements counted above.
    if (node.triangles === 0) return;
    const { vertices, corners } = geometryOf(node);
    for (const c of corners) {
      let x = vertices[c * 3] as number,
        y = vertices[c * 3 + 1] as number,
        z = vertices[c * 3 + 2] as number;
      if (transform) [x, y, z] = transformPoint(transform, x, y, z);
      positions[at++] = x * scale;
      positions[at++] = y * scale;
      positions[at++] = z * scale;
    }
    for (const c of node.children) emit(c.node, compose(c.transform, transform));
  };
  for (const root of roots) emit(root.node, root.transform);
  return { positions, triangleCount: total };
}
