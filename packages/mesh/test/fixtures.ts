import { strToU8, zipSync } from "fflate";
import { WELD_KEY_WORDS } from "../src/measure.ts";
import type { Mesh } from "../src/mesh.ts";

/** A 3MF archive of the mesh (one object, vertices shared per triangle corner), in the given unit. */
export function to3mf(mesh: Mesh, opts: { unit?: string; items?: Array<{ transform?: string }> } = {}): Uint8Array {
  const verts: string[] = [];
  const tris: string[] = [];
  for (let t = 0; t < mesh.triangleCount; t++) {
    for (let v = 0; v < 3; v++) {
      const i = t * 9 + v * 3;
      verts.push(`<vertex x="${mesh.positions[i]}" y="${mesh.positions[i + 1]}" z="${mesh.positions[i + 2]}"/>`);
    }
    tris.push(`<triangle v1="${t * 3}" v2="${t * 3 + 1}" v3="${t * 3 + 2}"/>`);
  }
  const items = (opts.items ?? [{}])
    .map((it) => `<item objectid="1"${it.transform ? ` transform="${it.transform}"` : ""}/>`)
    .join("");
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<model unit="${opts.unit ?? "millimeter"}" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
 <resources><object id="1" type="model"><mesh><vertices>${verts.join("")}</vertices><triangles>${tris.join("")}</triangles></mesh></object></resources>
 <build>${items}</build>
</model>`;
  return zipSync({
    "[Content_Types].xml": strToU8('<?xml version="1.0"?><Types/>'),
    "_rels/.rels": strToU8(
      '<Relationships><Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>',
    ),
    "3D/3dmodel.model": strToU8(xml),
  });
}

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
