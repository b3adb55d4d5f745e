import { XMLParser } from "fast-xml-parser";
import { Unzip, UnzipInflate } from "fflate";
import { type ParseLimits, resolveLimits } from "./bounds.ts";
import { MeshError, MeshTooLargeError } from "./errors.ts";
import { expandBuild, list, parseTransform, type Xml } from "./expand-3mf.ts";
import { assertFinite, type Mesh } from "./mesh.ts";

const UNITS: Record<string, number> = {
  micron: 0.001,
  millimeter: 1,
  centimeter: 10,
  inch: 25.4,
  foot: 304.8,
  meter: 1000,
};

/** Inflates the parts we need, counting bytes as they come out, and stops past the limit. */
function readParts(bytes: Uint8Array, wanted: (name: string) => boolean, limit: number): Map<string, Buffer> {
  const parts = new Map<string, Buffer>();
  let total = 0;
  // fflate catches what a callback throws and hands it to the next callback as a corrupt stream: the
  // refusal is kept here so that it keeps its class.
  let refused: MeshError | undefined;
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  unzip.onfile = (file) => {
    if (!wanted(file.name)) return;
    const chunks: Uint8Array[] = [];
    file.ondata = (err, chunk, final) => {
      if (err) throw refused ?? new MeshError(`3MF archive is corrupt: ${err.message}`);
      total += chunk.length;
      if (total > limit) {
        refused = new MeshTooLargeError(`3MF inflates to more than ${limit} bytes: refused`);
        throw refused;
      }
      chunks.push(chunk);
      if (final) parts.set(file.name, Buffer.concat(chunks));
    };
    file.start();
  };
  try {
    unzip.push(bytes, true);
  } catch (err) {
    if (refused) throw refused;
    if (err instanceof MeshError) throw err;
    throw new MeshError(`not a readable 3MF (zip) archive: ${(err as Error).message}`);
  }
  return parts;
}

/** The archive's <model> element: the part _rels/.rels points at, or the first .model part. */
function readModel(bytes: Uint8Array, maxUncompressedBytes: number): Xml {
  const parts = readParts(bytes, (name) => name.endsWith(".model") || name === "_rels/.rels", maxUncompressedBytes);
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
  return model;
}

/** 3MF: a zip with an XML model; several objects, components and build items with transforms; units honoured. */
export function parse3mf(bytes: Uint8Array, limits?: ParseLimits): Mesh {
  const bounds = resolveLimits(limits);
  const model = readModel(bytes, bounds.maxUncompressedBytes);
  const unit = (model.unit as string | undefined) ?? "millimeter";
  const scale = UNITS[unit];
  if (scale === undefined) throw new MeshError(`3MF unit "${unit}" is not one of ${Object.keys(UNITS).join(", ")}`);

  const objects = new Map<string, Xml>();
  for (const o of list((model.resources as Xml | undefined)?.object)) objects.set(String(o.id), o);
  const items = list((model.build as Xml | undefined)?.item);
  if (items.length === 0) throw new MeshError("3MF has no build items");

  const roots = items.map((item) => ({ id: String(item.objectid), transform: parseTransform(item.transform) }));
  const mesh = expandBuild(objects, roots, scale, bounds.maxTriangles);
  assertFinite(mesh.positions);
  return mesh;
}
