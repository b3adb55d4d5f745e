import { XMLParser } from "fast-xml-parser";
import { Unzip, UnzipInflate } from "fflate";
import { assertFinite, type Mesh, MeshError } from "./mesh.ts";

const UNITS: Record<string, number> = {
  micron: 0.001,
  millimeter: 1,
  centimeter: 10,
  inch: 25.4,
  foot: 304.8,
  meter: 1000,
};

export interface ThreeMfOptions {
  /** Refuse archives whose model parts inflate beyond this (zip bombs). */
  maxUncompressedBytes?: number;
}

/** Inflates the parts we need, counting bytes as they come out, and stops past the limit. */
function readParts(bytes: Uint8Array, wanted: (name: string) => boolean, limit: number): Map<string, Buffer> {
  const parts = new Map<string, Buffer>();
  let total = 0;
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  unzip.onfile = (file) => {
    if (!wanted(file.name)) return;
    const chunks: Uint8Array[] = [];
    file.ondata = (err, chunk, final) => {
      if (err) throw new MeshError(`3MF archive is corrupt: ${err.message}`);
      total += chunk.length;
      if (total > limit) throw new MeshError(`3MF inflates to more than ${limit} bytes: refused`);
      chunks.push(chunk);
      if (final) parts.set(file.name, Buffer.concat(chunks));
    };
    file.start();
  };
  try {
    unzip.push(bytes, true);
  } catch (err) {
    if (err instanceof MeshError) throw err;
    throw new MeshError(`not a readable 3MF (zip) archive: ${(err as Error).message}`);
  }
  return parts;
}

type Xml = Record<string, unknown>;
const list = (v: unknown): Xml[] => (v === undefined ? [] : Array.isArray(v) ? (v as Xml[]) : [v as Xml]);

/** Row-vector 3MF transform: 12 numbers, the last three the translation. */
function parseTransform(text: unknown): number[] | undefined {
  if (typeof text !== "string") return undefined;
  const m = text.trim().split(/\s+/).map(Number);
  if (m.length !== 12 || m.some((x) => !Number.isFinite(x))) throw new MeshError(`invalid 3MF transform "${text}"`);
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

function compose(a: number[] | undefined, b: number[] | undefined): number[] | undefined {
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

/** 3MF: a zip with an XML model; several objects, components and build items with transforms; units honoured. */
export function parse3mf(bytes: Uint8Array, options: ThreeMfOptions = {}): Mesh {
  const limit = options.maxUncompressedBytes ?? 256 * 1024 * 1024;
  const parts = readParts(bytes, (name) => name.endsWith(".model") || name === "_rels/.rels", limit);
  let modelName = "3D/3dmodel.model";
  const rels = parts.get("_rels/.rels");
  if (rels) {
    const target = /Target="\/?([^"]+\.model)"/.exec(rels.toString("utf8"))?.[1];
    if (target) modelName = target;
  }
  const modelXml = parts.get(modelName) ?? [...parts.entries()].find(([n]) => n.endsWith(".model"))?.[1];
  if (!modelXml) throw new MeshError("3MF archive has no 3D model part");

  let doc: Xml;
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      removeNSPrefix: true,
      parseAttributeValue: false,
      processEntities: false,
    }).parse(modelXml.toString("utf8"), true) as Xml;
  } catch (err) {
    throw new MeshError(`3MF model is not valid XML: ${(err as Error).message}`);
  }
  const model = doc.model as Xml | undefined;
  if (!model) throw new MeshError("3MF model part has no <model> element");
  const unit = (model.unit as string | undefined) ?? "millimeter";
  const scale = UNITS[unit];
  if (scale === undefined) throw new MeshError(`3MF unit "${unit}" is not one of ${Object.keys(UNITS).join(", ")}`);

  const objects = new Map<string, Xml>();
  for (const o of list((model.resources as Xml | undefined)?.object)) objects.set(String(o.id), o);
  const out: number[] = [];

  const emit = (objectId: string, transform: number[] | undefined, depth: number) => {
    if (depth > 16) throw new MeshError("3MF components nest too deep (a cycle?)");
    const obj = objects.get(objectId);
    if (!obj) throw new MeshError(`3MF refers to object ${objectId}, which does not exist`);
    const mesh = obj.mesh as Xml | undefined;
    if (mesh) {
      const verts = list((mesh.vertices as Xml | undefined)?.vertex).map((v) => [
        Number(v.x),
        Number(v.y),
        Number(v.z),
      ]);
      for (const t of list((mesh.triangles as Xml | undefined)?.triangle)) {
        for (const key of ["v1", "v2", "v3"]) {
          const v = verts[Number(t[key])];
          if (!v) throw new MeshError(`3MF triangle refers to vertex ${String(t[key])}, which does not exist`);
          let [x, y, z] = v as [number, number, number];
          if (transform) [x, y, z] = transformPoint(transform, x, y, z);
          out.push(x * scale, y * scale, z * scale);
        }
      }
    }
    for (const c of list((obj.components as Xml | undefined)?.component)) {
      emit(String(c.objectid), compose(parseTransform(c.transform), transform), depth + 1);
    }
  };

  const items = list((model.build as Xml | undefined)?.item);
  if (items.length === 0) throw new MeshError("3MF has no build items");
  for (const item of items) emit(String(item.objectid), parseTransform(item.transform), 0);
  if (out.length === 0) throw new MeshError("3MF has no triangles");
  const positions = Float32Array.from(out);
  assertFinite(positions);
  return { positions, triangleCount: out.length / 9 };
}
