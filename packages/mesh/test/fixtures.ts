import { strToU8, zipSync } from "fflate";
import { WELD_KEY_WORDS } from "../src/measure.ts";
import type { Mesh } from "../src/mesh.ts";

const CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02";
const PRODUCTION = "http://schemas.microsoft.com/3dmanufacturing/production/2015/06";
const MODEL_REL = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel";

/** A <mesh> element of the mesh's triangles, three vertices of its own per triangle. */
function meshElement(mesh: Mesh): string {
  const verts: string[] = [];
  const tris: string[] = [];
  for (let t = 0; t < mesh.triangleCount; t++) {
    for (let v = 0; v < 3; v++) {
      const i = t * 9 + v * 3;
      verts.push(`<vertex x="${mesh.positions[i]}" y="${mesh.positions[i + 1]}" z="${mesh.positions[i + 2]}"/>`);
    }
    tris.push(`<triangle v1="${t * 3}" v2="${t * 3 + 1}" v3="${t * 3 + 2}"/>`);
  }
  return `<mesh><vertices>${verts.join("")}</vertices><triangles>${tris.join("")}</triangles></mesh>`;
}

/** The OPC relationships part naming these targets as 3D model parts. */
const relationships = (...targets: string[]): Uint8Array =>
  strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${targets
      .map((t, i) => `<Relationship Target="${t}" Id="rel${i}" Type="${MODEL_REL}"/>`)
      .join("")}</Relationships>`,
  );

/** A 3MF archive of the mesh (one object, vertices shared per triangle corner), in the given unit. */
export function to3mf(mesh: Mesh, opts: { unit?: string; items?: Array<{ transform?: string }> } = {}): Uint8Array {
  const items = (opts.items ?? [{}])
    .map((it) => `<item objectid="1"${it.transform ? ` transform="${it.transform}"` : ""}/>`)
    .join("");
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<model unit="${opts.unit ?? "millimeter"}" xmlns="${CORE}">
 <resources><object id="1" type="model">${meshElement(mesh)}</object></resources>
 <build>${items}</build>
</model>`;
  return zipSync({
    "[Content_Types].xml": strToU8('<?xml version="1.0"?><Types/>'),
    "_rels/.rels": relationships("/3D/3dmodel.model"),
    "3D/3dmodel.model": strToU8(xml),
  });
}

/** An object of a project: its mesh, where the build puts it, and where its part sits in it. */
export interface ProjectObject {
  mesh: Mesh;
  /** The build item's transform (a slicer's placement on the plate). */
  item?: string;
  /** The component's transform inside the root object (a slicer's part offset). */
  component?: string;
}

/**
 * A 3MF project as Bambu Studio and OrcaSlicer write it: object N's mesh in its own model part
 * /3D/Objects/object_N.model (as object 1 there), placed from the root model by a component with the
 * production extension's p:path, listed in the root part's relationships. With `external: false`, the same
 * objects, components and transforms in the root model alone: the plain equivalent.
 */
export function to3mfProject(objects: ProjectObject[], opts: { external?: boolean; unit?: string } = {}): Uint8Array {
  const external = opts.external ?? true;
  const unit = opts.unit ?? "millimeter";
  const files: Record<string, Uint8Array> = {};
  const resources: string[] = [];
  const items: string[] = [];
  objects.forEach((o, i) => {
    const n = i + 1;
    const uuid = (k: number) => `00000000-0000-4000-8000-${String(n * 10 + k).padStart(12, "0")}`;
    const transform = (t: string | undefined) => (t ? ` transform="${t}"` : "");
    const meshObject = (id: number) =>
      `<object id="${id}" p:UUID="${uuid(1)}" type="model">${meshElement(o.mesh)}</object>`;
    let component = `<component objectid="${1000 + n}" p:UUID="${uuid(2)}"${transform(o.component)}/>`;
    if (external) {
      const path = `/3D/Objects/object_${n}.model`;
      files[path.slice(1)] = strToU8(
        `<?xml version="1.0" encoding="UTF-8"?>\n<model unit="${unit}" xml:lang="en-US" xmlns="${CORE}" xmlns:p="${PRODUCTION}" requiredextensions="p"><metadata name="BambuStudio:3mfVersion">1</metadata><resources>${meshObject(1)}</resources><build/></model>`,
      );
      component = `<component p:path="${path}" objectid="1" p:UUID="${uuid(2)}"${transform(o.component)}/>`;
    } else {
      resources.push(meshObject(1000 + n));
    }
    resources.push(
      `<object id="${n * 2}" p:UUID="${uuid(3)}" type="model"><components>${component}</components></object>`,
    );
    items.push(`<item objectid="${n * 2}" p:UUID="${uuid(4)}"${transform(o.item)} printable="1"/>`);
  });
  files["3D/3dmodel.model"] = strToU8(
    `<?xml version="1.0" encoding="UTF-8"?>\n<model unit="${unit}" xml:lang="en-US" xmlns="${CORE}" xmlns:BambuStudio="http://schemas.bambulab.com/package/2021" xmlns:p="${PRODUCTION}" requiredextensions="p"><metadata name="Application">BambuStudio-01.09.00.70</metadata><metadata name="BambuStudio:3mfVersion">1</metadata><resources>${resources.join("")}</resources><build p:UUID="00000000-0000-4000-8000-000000000000">${items.join("")}</build></model>`,
  );
  files["_rels/.rels"] = relationships("/3D/3dmodel.model");
  if (external)
    files["3D/_rels/3dmodel.model.rels"] = relationships(...objects.map((_, i) => `/3D/Objects/object_${i + 1}.model`));
  files["[Content_Types].xml"] = strToU8(
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>',
  );
  files["Metadata/model_settings.config"] = strToU8('<?xml version="1.0" encoding="UTF-8"?><config/>');
  return zipSync(files);
}

/**
 * A 3MF package of these model parts (zip entry name -> XML), the root named by `_rels/.rels` (`root`; null
 * for a package without relationships), every other part listed in the root part's relationships.
 */
export function packageOf(parts: Record<string, string>, root: string | null = "/3D/3dmodel.model"): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, xml] of Object.entries(parts)) files[name] = strToU8(xml);
  if (root !== null) {
    files["_rels/.rels"] = relationships(root);
    const others = Object.keys(parts).filter((name) => `/${name}` !== root);
    files["3D/_rels/3dmodel.model.rels"] = relationships(...others.map((name) => `/${name}`));
  }
  return zipSync(files);
}

/** A model element that declares the production extension, of these objects and build items (raw XML). */
export const productionModelXml = (objects: string[], items: string[], unit = "millimeter"): string =>
  `<model unit="${unit}" xmlns="${CORE}" xmlns:p="${PRODUCTION}" requiredextensions="p"><resources>${objects.join("")}</resources><build>${items.join("")}</build></model>`;

/** A 3MF archive whose only part is this model XML. */
export function zip3mf(xml: string): Uint8Array {
  return zipSync({ "3D/3dmodel.model": strToU8(xml) }, { level: 9 });
}

/** A model element around these objects, building the object `itemId`. */
export function modelXml(objects: string[], itemIds: string[]): string {
  const items = itemIds.map((id) => `<item objectid="${id}"/>`).join("");
  return `<model unit="millimeter"><resources>${objects.join("")}</resources><build>${items}</build></model>`;
}

/** An object of one triangle. */
export const triangleObject = (id: string | number): string =>
  `<object id="${id}"><mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="0" y="1" z="0"/></vertices><triangles><triangle v1="0" v2="1" v3="2"/></triangles></mesh></object>`;

/** `levels` objects stacked on a one-triangle object, each holding `width` components of the one below. */
export function componentBombXml(levels: number, width: number): string {
  const objects = [triangleObject(0)];
  for (let i = 1; i <= levels; i++) {
    objects.push(
      `<object id="${i}"><components>${`<component objectid="${i - 1}"/>`.repeat(width)}</components></object>`,
    );
  }
  return modelXml(objects, [String(levels)]);
}

/** A fixed weld key from a seed (splitmix32's outputs), so that probe counts are reproducible. */
export function fixedWeldKey(seed: number): Uint32Array {
  let s = seed | 0;
  return Uint32Array.from({ length: WELD_KEY_WORDS }, () => {
    s = (s + 0x9e3779b9) | 0;
    let z = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  });
}
