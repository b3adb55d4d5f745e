import { type BasicMeasurements, basicFromSums, FLAT, isFlat, sumsOf } from "./basic.ts";
import type { Mesh } from "./mesh.ts";
import { countEdges } from "./topology.ts";
import { weldVertices } from "./weld.ts";

export type { BasicMeasurements } from "./basic.ts";
export { WELD_KEY_WORDS, type Weld, weldVertices } from "./weld.ts";

export interface Measurements extends BasicMeasurements {
  /** Every edge shared by exactly two triangles, after welding vertices within the tolerance. */
  watertight: boolean;
  /** Every shared edge is walked in opposite directions by its two triangles. */
  consistentOrientation: boolean;
  /** Edges used by one triangle only (holes) or by more than two. */
  boundaryEdges: number;
  nonManifoldEdges: number;
  degenerateTriangles: number;
  vertexCount: number;
}

/**
 * Bounding box, volume (sum of signed tetrahedra), surface area: one pass over the triangles, or none for a
 * mesh parsed from a binary STL, measured as it was read.
 */
export function measureBasic(mesh: Mesh): BasicMeasurements {
  return basicFromSums(sumsOf(mesh), mesh.triangleCount);
}

/** The full analysis: basic measurements plus topology (watertightness, orientation, degenerate triangles). */
export function measure(mesh: Mesh, tolerance = 1e-4): Measurements {
  const sums = sumsOf(mesh);
  const { ids, vertexCount } = weldVertices(mesh, tolerance);
  const edges = countEdges(ids, mesh.triangleCount, vertexCount);
  return {
    ...basicFromSums(sums, mesh.triangleCount),
    watertight: edges.boundary === 0 && edges.nonManifold === 0 && edges.uses > 0,
    consistentOrientation: edges.inconsistent === 0 && edges.nonManifold === 0,
    boundaryEdges: edges.boundary,
    nonManifoldEdges: edges.nonManifold,
    degenerateTriangles: edges.collapsed.length + zeroArea(mesh, sums[FLAT] as number, edges.collapsed),
    vertexCount,
  };
}

/**
 * Triangles with distinct welded corners but (almost) no area: the flat ones of the basic pass (collinear
 * corners), less the collapsed ones, already counted, that it counted as flat.
 */
function zeroArea(mesh: Mesh, flat: number, collapsed: Int32Array): number {
  let n = flat;
  if (flat > 0) for (const t of collapsed) if (isFlat(mesh.positions, t * 9)) n--;
  return n;
}
