const HEADER = 80;
const FACET = 50;
/** How many bytes after the header PrusaSlicer's STL reader (admesh) looks at to tell binary from text. */
const SNIFFED = 128;

/**
 * A binary STL as the slicer will read it. PrusaSlicer's reader takes a file for ASCII when the 128 bytes
 * after the header are all below 128, which a small binary model with round coordinates is (a 10 mm
 * cube: `Loading of a model file failed`). Such a file is rewritten as ASCII STL with the very same
 * float32 vertices (their shortest decimal form reads back to the same float); any other file is
 * returned as it is.
 */
export function stlForSlicer(bytes: Buffer): Buffer {
  if (bytes.length < HEADER + 4) return bytes;
  const count = bytes.readUInt32LE(HEADER);
  if (bytes.length !== HEADER + 4 + count * FACET) return bytes;
  const sniff = bytes.subarray(HEADER, HEADER + SNIFFED);
  if (sniff.some((b) => b > 127)) return bytes;
  const lines = ["solid printfab"];
  for (let i = 0; i < count; i++) {
    const at = HEADER + 4 + i * FACET;
    lines.push("facet normal 0 0 0", "outer loop");
    for (let v = 0; v < 3; v++) {
      const p = at + 12 + v * 12;
      lines.push(`vertex ${bytes.readFloatLE(p)} ${bytes.readFloatLE(p + 4)} ${bytes.readFloatLE(p + 8)}`);
    }
    lines.push("endloop", "endfacet");
  }
  lines.push("endsolid printfab", "");
  return Buffer.from(lines.join("\n"));
}
