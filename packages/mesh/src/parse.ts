import type { ParseLimits } from "./bounds.ts";
import { MeshError } from "./errors.ts";
import type { Mesh, MeshFormat } from "./mesh.ts";
import { parse3mf } from "./parse-3mf.ts";
import { parseObj } from "./parse-obj.ts";
import { parseStl } from "./parse-stl.ts";

/** Guesses the format from the bytes: zip magic is 3MF, OBJ has `v`/`f` lines, the rest is tried as STL. */
export function detectFormat(bytes: Uint8Array): MeshFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    return "3mf";
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4096)).toString("latin1");
  if (/^\s*solid\b/.test(head)) return "stl";
  if (/^(v|f|vn|vt|o|g|#|mtllib|usemtl|s)\s/m.test(head) && !hasBinaryBytes(head)) return "obj";
  return "stl";
}

/** Control characters other than tab, newline and carriage return mark a binary file. */
function hasBinaryBytes(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 9 || (c > 13 && c < 32)) return true;
  }
  return false;
}

export type { ParseLimits };

/** The mesh in the bytes, or a MeshError (a MeshTooLargeError past the limits) saying why not. */
export function parseMesh(bytes: Uint8Array, format: MeshFormat = detectFormat(bytes), limits: ParseLimits = {}): Mesh {
  if (bytes.length === 0) throw new MeshError("the file is empty");
  switch (format) {
    case "stl":
      return parseStl(bytes, limits);
    case "obj":
      return parseObj(bytes, limits);
    case "3mf":
      return parse3mf(bytes, limits);
  }
}
