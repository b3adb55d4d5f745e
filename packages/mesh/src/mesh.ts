/**
 * A triangle mesh as a "soup": 9 floats per triangle (three vertices, x y z), in millimetres. The layout
 * every parser produces and every measurement reads, so a 1,000,000-triangle model is one 36 MB array.
 */
export interface Mesh {
  positions: Float32Array;
  triangleCount: number;
}

/** A file we refuse to read, with the reason (a 422 at the HTTP edge). */
export class MeshError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MeshError";
  }
}

export const MESH_FORMATS = ["stl", "obj", "3mf"] as const;
export type MeshFormat = (typeof MESH_FORMATS)[number];

/** Throws unless every coordinate is finite; a NaN would poison every measurement after it. */
export function assertFinite(positions: Float32Array, limit = positions.length): void {
  for (let i = 0; i < limit; i++) {
    const v = positions[i] as number;
    if (v - v !== 0)
      throw new MeshError(
        `coordinate ${i % 3 === 0 ? "x" : i % 3 === 1 ? "y" : "z"} of vertex ${Math.floor(i / 3)} is not a finite number`,
      );
  }
}

/** A mesh from triangles given as vertex triples (for tests and generated models). */
export function meshFromTriangles(triangles: ArrayLike<number>): Mesh {
  if (triangles.length % 9 !== 0) throw new MeshError("triangle data must be a multiple of 9 numbers");
  return { positions: Float32Array.from(triangles), triangleCount: triangles.length / 9 };
}

/** A mesh from an indexed vertex list and triangle indices. */
export function meshFromIndexed(vertices: ArrayLike<number>, indices: ArrayLike<number>): Mesh {
  const positions = new Float32Array(indices.length * 3);
  for (let i = 0; i < indices.length; i++) {
    const v = (indices[i] as number) * 3;
    positions[i * 3] = vertices[v] as number;
    positions[i * 3 + 1] = vertices[v + 1] as number;
    positions[i * 3 + 2] = vertices[v + 2] as number;
  }
  return { positions, triangleCount: indices.length / 3 };
}
