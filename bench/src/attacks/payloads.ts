import { strToU8, zipSync } from "fflate";

/**
 * The hostile files of the attack table, built here from their description rather than taken from the
 * mesh package's fixtures, so the same bytes reach the old and the new code.
 */

const TRIANGLE_OBJECT =
  '<object id="0"><mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="0" y="1" z="0"/></vertices><triangles><triangle v1="0" v2="1" v3="2"/></triangles></mesh></object>';

/** A 3MF of `levels` objects stacked on one triangle, each holding `width` components of the one below. */
export function componentBomb3mf(levels = 13, width = 4): Uint8Array {
  const objects = [TRIANGLE_OBJECT];
  for (let i = 1; i <= levels; i++) {
    objects.push(
      `<object id="${i}"><components>${`<component objectid="${i - 1}"/>`.repeat(width)}</components></object>`,
    );
  }
  const xml = `<model unit="millimeter"><resources>${objects.join("")}</resources><build><item objectid="${levels}"/></build></model>`;
  return zipSync({ "3D/3dmodel.model": strToU8(xml) }, { level: 9 });
}

/** Three vertices and one face that names them 5.31 million times. */
export function objFaceBomb(repeats = 1_770_000): Buffer {
  return Buffer.from(`v 0 0 0\nv 1 0 0\nv 0 1 0\nf ${"1 2 3 ".repeat(repeats)}\n`);
}

/** A binary STL: an 80-byte header, the count, and 50 bytes per triangle (normal, 3 corners, attribute). */
function binaryStl(triangleCount: number, corner: (c: number, out: Float32Array) => void): Buffer {
  const buf = Buffer.alloc(84 + 50 * triangleCount);
  buf.write("printfab attack table", 0, "latin1");
  buf.writeUInt32LE(triangleCount, 80);
  const p = new Float32Array(3);
  for (let t = 0; t < triangleCount; t++) {
    const at = 84 + 50 * t + 12;
    for (let v = 0; v < 3; v++) {
      corner(t * 3 + v, p);
      buf.writeFloatLE(p[0] as number, at + v * 12);
      buf.writeFloatLE(p[1] as number, at + v * 12 + 4);
      buf.writeFloatLE(p[2] as number, at + v * 12 + 8);
    }
  }
  return buf;
}

/**
 * Every corner on the x axis at a multiple of 16384: equal low bits, the layout that put every corner
 * in one run of a vertex-welding hash table (300k triangles, 15 MB).
 */
export function hostileStl(triangleCount = 300_000): Buffer {
  return binaryStl(triangleCount, (c, p) => p.set([c * 16384, 0, 0]));
}

const TETRAHEDRON = [
  [0, 0, 0],
  [10, 0, 0],
  [0, 10, 0],
  [0, 0, 10],
] as const;
const TETRA_FACES = [
  [0, 2, 1],
  [0, 1, 3],
  [0, 3, 2],
  [1, 2, 3],
] as const;

/**
 * A 4-triangle tetrahedron, shifted by `variant` so that each one is new to the quote cache (a cached
 * quote would answer without touching the 3D workers).
 */
export function smallStl(variant: number): Buffer {
  return binaryStl(4, (c, p) => {
    const corner = TETRAHEDRON[TETRA_FACES[Math.floor(c / 3)]?.[c % 3] ?? 0];
    p.set([(corner?.[0] ?? 0) + variant * 0.001, corner?.[1] ?? 0, corner?.[2] ?? 0]);
  });
}

/** A tetrahedron no quote has been asked for yet, most likely. */
export const freshSmallStl = (): Buffer => smallStl(Math.floor(Math.random() * 100_000));
