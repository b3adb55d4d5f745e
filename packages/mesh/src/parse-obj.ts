import { assertFinite, type Mesh, MeshError } from "./mesh.ts";

/** Wavefront OBJ: `v` and `f` lines; 1-based and negative (relative) indices; polygons fanned into triangles. */
export function parseObj(bytes: Uint8Array): Mesh {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  const vertices: number[] = [];
  const out: number[] = [];
  let lineNo = 0;
  for (const raw of text.split("\n")) {
    lineNo++;
    const line = raw.trim();
    if (line.startsWith("v ")) {
      const p = line.split(/\s+/);
      if (p.length < 4) throw new MeshError(`line ${lineNo}: a vertex needs x y z`);
      vertices.push(Number(p[1]), Number(p[2]), Number(p[3]));
    } else if (line.startsWith("f ")) {
      const refs = line.split(/\s+/).slice(1);
      if (refs.length < 3) throw new MeshError(`line ${lineNo}: a face needs at least 3 vertices`);
      const count = vertices.length / 3;
      const idx = refs.map((r) => {
        const n = Number.parseInt(r.split("/")[0] as string, 10);
        const i = n < 0 ? count + n : n - 1;
        if (!Number.isInteger(n) || n === 0 || i < 0 || i >= count) {
          throw new MeshError(`line ${lineNo}: vertex index ${r} does not exist`);
        }
        return i;
      });
      for (let k = 1; k + 1 < idx.length; k++) {
        for (const i of [idx[0], idx[k], idx[k + 1]] as number[])
          out.push(vertices[i * 3] as number, vertices[i * 3 + 1] as number, vertices[i * 3 + 2] as number);
      }
    }
  }
  if (out.length === 0) throw new MeshError("OBJ has no faces");
  const positions = Float32Array.from(out);
  assertFinite(positions);
  return { positions, triangleCount: out.length / 9 };
}

/** Writes an OBJ with shared vertices (every triangle's corners as separate vertices). */
export function toObj(mesh: Mesh): string {
  const lines: string[] = [];
  for (let i = 0; i < mesh.positions.length; i += 3)
    lines.push(`v ${mesh.positions[i]} ${mesh.positions[i + 1]} ${mesh.positions[i + 2]}`);
  for (let t = 0; t < mesh.triangleCount; t++) lines.push(`f ${t * 3 + 1} ${t * 3 + 2} ${t * 3 + 3}`);
  return lines.join("\n");
}
