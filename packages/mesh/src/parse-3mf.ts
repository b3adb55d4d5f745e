import { type ParseLimits, resolveLimits } from "./bounds.ts";
import { MeshError } from "./errors.ts";
import { expandBuild, list, type ObjectRef, type ObjectStore, parseTransform, type Xml } from "./expand-3mf.ts";
import { assertFinite, type Mesh } from "./mesh.ts";
import { type Package, partKey, readPackage, xmlParser } from "./package-3mf.ts";

const UNITS: Record<string, number> = {
  micron: 0.001,
  millimeter: 1,
  centimeter: 10,
  inch: 25.4,
  foot: 304.8,
  meter: 1000,
};

/** A model part's <model> element and its objects by id. */
interface Model {
  unit: string;
  element: Xml;
  objects: Map<string, Xml>;
}

/**
 * The objects of a package's model parts. The root part is read at once; a part the production extension's
 * `p:path` names is read when first referred to, once. Only the root model may refer to other parts (the
 * extension's rule), so references reach one level deep and cannot loop between parts.
 */
class PackageObjects implements ObjectStore {
  readonly #models = new Map<string, Model>();
  readonly root: Model;

  constructor(private readonly pkg: Package) {
    this.root = this.#model(pkg.root);
    if (UNITS[this.root.unit] === undefined) {
      throw new MeshError(`3MF unit "${this.root.unit}" is not one of ${Object.keys(UNITS).join(", ")}`);
    }
  }

  object(ref: ObjectRef): Xml {
    const found = this.#model(ref.part).objects.get(ref.id);
    if (!found) throw new MeshError(`3MF refers to ${this.describe(ref)}, which does not exist`);
    return found;
  }

  target(from: string, element: Xml): ObjectRef {
    const id = String(element.objectid);
    if (element.path === undefined) return { part: from, id };
    const path = String(element.path);
    if (from !== this.pkg.root) {
      throw new MeshError(
        `3MF model part ${this.#name(from)} refers to the part ${path.slice(0, 100)}; only the root model may refer to other parts`,
      );
    }
    const part = partKey(path);
    if (!this.pkg.parts.has(part)) {
      throw new MeshError(`3MF refers to the model part ${path.slice(0, 100)}, which is not in the package`);
    }
    return { part, id };
  }

  describe(ref: ObjectRef): string {
    return ref.part === this.pkg.root ? `object ${ref.id}` : `object ${ref.id} of ${this.#name(ref.part)}`;
  }

  #name(part: string): string {
    return this.pkg.parts.get(part)?.name ?? part;
  }

  #model(part: string): Model {
    const known = this.#models.get(part);
    if (known) return known;
    const model = this.#parse(part);
    // Coordinates and transforms are read in the root's unit: a part in another one would be silently mis-scaled.
    if (this.#models.size > 0 && model.unit !== this.root.unit) {
      throw new MeshError(
        `3MF model part ${this.#name(part)} is in ${model.unit.slice(0, 40)}, the root model in ${this.root.unit}: mixed units are not supported`,
      );
    }
    this.#models.set(part, model);
    return model;
  }

  #parse(part: string): Model {
    const bytes = this.pkg.parts.get(part)?.bytes as Buffer;
    let doc: Xml;
    try {
      doc = xmlParser.parse(bytes.toString("utf8"), true) as Xml;
    } catch (err) {
      const which = part === this.pkg.root ? "model" : `model part ${this.#name(part)}`;
      throw new MeshError(`3MF ${which} is not valid XML: ${(err as Error).message}`);
    }
    const element = doc.model as Xml | undefined;
    if (!element) throw new MeshError(`3MF model part ${this.#name(part)} has no <model> element`);
    const objects = new Map<string, Xml>();
    for (const o of list((element.resources as Xml | undefined)?.object)) objects.set(String(o.id), o);
    return { unit: (element.unit as string | undefined) ?? "millimeter", element, objects };
  }
}

/**
 * 3MF: a zip of XML model parts; several objects, components and build items with transforms; objects in
 * other model parts of the package (the production extension, as Bambu Studio and OrcaSlicer write projects);
 * units honoured.
 */
export function parse3mf(bytes: Uint8Array, limits?: ParseLimits): Mesh {
  const bounds = resolveLimits(limits);
  const pkg = readPackage(bytes, bounds.maxUncompressedBytes);
  const objects = new PackageObjects(pkg);
  const items = list((objects.root.element.build as Xml | undefined)?.item);
  if (items.length === 0) throw new MeshError("3MF has no build items");
  const placements = items.map((item) => ({
    ...objects.target(pkg.root, item),
    transform: parseTransform(item.transform),
  }));
  const mesh = expandBuild(objects, placements, UNITS[objects.root.unit] as number, bounds.maxTriangles);
  assertFinite(mesh.positions);
  return mesh;
}
