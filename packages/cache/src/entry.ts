/**
 * An entry as stored in L2 and L1: the value and what the engine needs to judge it. Pure: no I/O.
 *
 * Binary layout (all little-endian):
 *   0      u8   format (1)
 *   1      u8   kind: 0 JSON-serialized value, 1 raw bytes (Buffer), 2 not-found marker
 *   2      f64  freshUntil (epoch ms)
 *   10     f64  staleUntil (epoch ms): served only when a reload fails or is slow
 *   18     u32  load duration in ms (for refresh-ahead)
 *   22     u16  length N of the tags header
 *   24     N    JSON [tags, tagVersions], when N > 0
 *   24+N   ...  the value's bytes
 */
export const KIND_SERIALIZED = 0;
export const KIND_BINARY = 1;
export const KIND_NOT_FOUND = 2;

export interface EntryMeta {
  kind: number;
  freshUntil: number;
  staleUntil: number;
  loadMs: number;
  tags: string[];
  tagVersions: number[];
}

export interface Entry<T = unknown> extends EntryMeta {
  value: T;
}

const HEADER = 24;

export function encodeEntry(meta: EntryMeta, body: Buffer): Buffer {
  const tagsJson = meta.tags.length > 0 ? Buffer.from(JSON.stringify([meta.tags, meta.tagVersions])) : undefined;
  const n = tagsJson?.length ?? 0;
  const buf = Buffer.allocUnsafe(HEADER + n + body.length);
  buf.writeUInt8(1, 0);
  buf.writeUInt8(meta.kind, 1);
  buf.writeDoubleLE(meta.freshUntil, 2);
  buf.writeDoubleLE(meta.staleUntil, 10);
  buf.writeUInt32LE(Math.min(Math.max(0, Math.round(meta.loadMs)), 0xffffffff), 18);
  buf.writeUInt16LE(n, 22);
  if (tagsJson) tagsJson.copy(buf, HEADER);
  body.copy(buf, HEADER + n);
  return buf;
}

/** Decodes a stored entry; anything malformed (another format, a truncated value) is null, a miss. */
export function decodeEntry(buf: Buffer): { meta: EntryMeta; body: Buffer } | null {
  if (buf.length < HEADER || buf.readUInt8(0) !== 1) return null;
  const n = buf.readUInt16LE(22);
  if (buf.length < HEADER + n) return null;
  let tags: string[] = [];
  let tagVersions: number[] = [];
  if (n > 0) {
    try {
      [tags, tagVersions] = JSON.parse(buf.toString("utf8", HEADER, HEADER + n)) as [string[], number[]];
    } catch {
      return null;
    }
  }
  return {
    meta: {
      kind: buf.readUInt8(1),
      freshUntil: buf.readDoubleLE(2),
      staleUntil: buf.readDoubleLE(10),
      loadMs: buf.readUInt32LE(18),
      tags,
      tagVersions,
    },
    body: buf.subarray(HEADER + n),
  };
}

/** True when every tag of the entry still has the version it was filled under. */
export function tagsCurrent(meta: EntryMeta, current: ReadonlyMap<string, number>): boolean {
  return meta.tags.every((t, i) => (current.get(t) ?? 0) === meta.tagVersions[i]);
}

/**
 * Probabilistic early expiration (XFetch, Vattani et al.): refresh before expiry with a probability that
 * grows as expiry nears and with the cost of a load, so one request refreshes and the rest keep hitting.
 */
export function shouldRefreshEarly(
  meta: Pick<EntryMeta, "freshUntil" | "loadMs">,
  now: number,
  beta: number,
  random: number,
): boolean {
  if (beta <= 0) return false;
  const delta = Math.max(meta.loadMs, 1);
  return now - delta * beta * Math.log(Math.max(random, Number.MIN_VALUE)) >= meta.freshUntil;
}

/** TTL with random jitter of up to ±fraction, so entries filled together do not all expire together. */
export function jitteredTtl(ttlMs: number, fraction: number, random: number): number {
  if (fraction <= 0) return ttlMs;
  return Math.max(1, Math.round(ttlMs * (1 + fraction * (2 * random - 1))));
}
