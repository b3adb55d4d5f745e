import { MeshError } from "./errors.ts";

/**
 * A triangle mesh as a "soup": 9 floats per triangle (three vertices, x y z), in millimetres. The layout
 * every parser produces and every measurement reads, so a 1,000,000-triangle model is one 36 MB array.
 * A parsed mesh is not to be written to: its basic measurements were taken as it was read.
 */
export interface Mesh {
  positions: Float32Array;
  triangleCount: number;
}

export type MeshFormat = "stl" | "obj" | "3mf";

/** Throws unless every coordinate is finite; a NaN would poison every measurement after it. */
export function assertFinite(positions: Float32Array): void {
  for (let i = 0; i < positions.length; i++) {
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
