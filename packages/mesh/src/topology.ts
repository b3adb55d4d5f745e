export interface EdgeCounts {
  /** Edges used by one triangle only (holes). */
  boundary: number;
  /** Edges used by more than two triangles. */
  nonManifold: number;
  /** Edges used by two triangles walking them the same way. */
  inconsistent: number;
  /** Uses of edges by triangles with three distinct vertices. */
  uses: number;
  /** The triangles with two corners welded into one vertex (they have no edges), in order. */
  collapsed: Int32Array;
}

/**
 * Counts how often each edge is used, and in which directions: each use goes into the bucket of its lower
 * vertex (a counting sort into one Int32Array, as the other vertex times two plus the direction), and a
 * bucket holds a handful of uses, so it is sorted in place to bring the uses of one edge together. Linear
 * in the triangles, with a few typed arrays, where sorting every use as one key was not.
 */
export function countEdges(ids: Uint32Array, triangleCount: number, vertexCount: number): EdgeCounts {
  const end = new Int32Array(vertexCount + 1);
  // Only the part written to takes memory: a few entries for a real mesh.
  const collapsedAt = new Int32Array(triangleCount + 1);
  const collapsed = collapsedAt.subarray(0, countPerVertex(ids, triangleCount, end, collapsedAt));
  sumUp(end);
  const uses = new Int32Array(end[vertexCount] as number);
  fill(ids, triangleCount, end, uses);
  return { ...classify(uses, end, vertexCount), uses: uses.length, collapsed };
}

// Each loop is a function of its own: V8 optimises a long loop while it runs, and code optimised for the
// first loop of a function would be thrown away on reaching the next one, which had not run yet.

/**
 * Counts each vertex's uses as the lower vertex of an edge into end[vertex + 1], so that summed up, end[v]
 * is where vertex v's bucket starts; lists the triangles with two corners in one vertex, which have no
 * edges, in `collapsedAt`, and returns how many. Without branches: an increment first reached once V8 has
 * optimised the loop undoes that, so every triangle is written to the list, and kept if it collapsed.
 */
function countPerVertex(ids: Uint32Array, triangleCount: number, end: Int32Array, collapsedAt: Int32Array): number {
  let collapsed = 0;
  for (let triangle = 0, t = 0; triangle < triangleCount; triangle++, t += 3) {
    const a = ids[t] as number,
      b = ids[t + 1] as number,
      c = ids[t + 2] as number;
    const edges = a === b || b === c || a === c ? 0 : 1;
    collapsedAt[collapsed] = triangle;
    collapsed += 1 - edges;
    countUses(end, Math.min(a, b), edges);
    countUses(end, Math.min(b, c), edges);
    countUses(end, Math.min(c, a), edges);
  }
  return collapsed;
}

function countUses(end: Int32Array, lower: number, uses: number): void {
  end[lower + 1] = (end[lower + 1] as number) + uses;
}

function sumUp(end: Int32Array): void {
  for (let v = 1; v < end.length; v++) end[v] = (end[v] as number) + (end[v - 1] as number);
}

/** Puts each use in its bucket, moving end[v] from the bucket's start to its end. */
function fill(ids: Uint32Array, triangleCount: number, end: Int32Array, uses: Int32Array): void {
  for (let t = 0; t < triangleCount * 3; t += 3) {
    const a = ids[t] as number,
      b = ids[t + 1] as number,
      c = ids[t + 2] as number;
    if (a === b || b === c || a === c) continue;
    addUse(uses, end, a, b);
    addUse(uses, end, b, c);
    addUse(uses, end, c, a);
  }
}

function addUse(uses: Int32Array, end: Int32Array, u: number, v: number): void {
  if (u < v) uses[(end[u] as number)++] = v * 2;
  else uses[(end[v] as number)++] = u * 2 + 1;
}

/** Walks the buckets (vertex v's is [end[v - 1], end[v]) once filled) edge by edge. */
function classify(uses: Int32Array, end: Int32Array, vertexCount: number) {
  let boundary = 0;
  let nonManifold = 0;
  let inconsistent = 0;
  for (let v = 0, from = 0; v < vertexCount; v++) {
    const to = end[v] as number;
    sortBucket(uses, from, to);
    for (let i = from; i < to; ) {
      const other = (uses[i] as number) >> 1;
      let j = i;
      let forward = 0;
      for (; j < to && (uses[j] as number) >> 1 === other; j++) if (((uses[j] as number) & 1) === 0) forward++;
      if (j - i === 1) boundary++;
      else if (j - i > 2) nonManifold++;
      else if (forward !== 1) inconsistent++;
      i = j;
    }
    from = to;
  }
  return { boundary, nonManifold, inconsistent };
}

/** Insertion sort for the usual handful; a vertex shared by thousands of triangles takes the built-in sort. */
function sortBucket(uses: Int32Array, from: number, to: number): void {
  if (to - from > 32) {
    uses.subarray(from, to).sort();
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const x = uses[i] as number;
    let j = i - 1;
    for (; j >= from && (uses[j] as number) > x; j--) uses[j + 1] = uses[j] as number;
    uses[j + 1] = x;
  }
}
