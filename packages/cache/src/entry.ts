import type { Serializer } from "./serializer.ts";

/**
 * An entry as stored in L2 and L1: the value and what the engine needs to judge it. Pure: no I/O.
 *
 * Binary layout (all little-endian):
 *   0      u8   format (2)
 *   1      u8   kind: 0 JSON-serialized value, 1 raw bytes (Buffer), 2 not-found marker
 *   2      f64  freshUntil (epoch ms)
 *   10     f64  staleUntil (epoch ms): served only when a reload fails or is slow
 *   18     u32  load duration in ms (for refresh-ahead)
 *   22     f64  generation of the key space when the load began (see journal.ts: the recovery fence)
 *   30     u16  length N of the tags header
 *   32     N    JSON [tags, tagVersions, bornAt], when N > 0 (bornAt: since the consistency auditor; readers
 *               of before it ignore the third element)
 *   32+N   ...  the value's bytes
 *
 * Format 1 (before generations) reads as a miss: during a rolling deploy each side reloads the other's
 * entries once, and no entry without a generation can outlive a fence.
 */
export const KIND_SERIALIZED = 0;
export const KIND_BINARY = 1;
export const KIND_NOT_FOUND = 2;

const FORMAT = 2;
const HEADER = 32;

export interface EntryMeta {
  kind: number;
  freshUntil: number;
  staleUntil: number;
  loadMs: number;
  /** The key space's generation read before the loader ran; an entry of an older one is a miss. */
  generation: number;
  tags: string[];
  tagVersions: number[];
  /**
   * When the entry was built (ms, the building process's clock): the consistency auditor's measure of an
   * L2 entry's age. Absent in entries written before it.
   */
  bornAt?: number;
}

/** The tags header of an untagged entry, `[[],[],<bornAt>]`: read without JSON.parse on the L2 hit path. */
const UNTAGGED = Buffer.from("[[],[],");

function tagsHeader(meta: EntryMeta): Buffer | undefined {
  if (meta.bornAt === undefined) {
    return meta.tags.length > 0 ? Buffer.from(JSON.stringify([meta.tags, meta.tagVersions])) : undefined;
  }
  if (meta.tags.length === 0) return Buffer.from(`[[],[],${meta.bornAt}]`);
  return Buffer.from(JSON.stringify([meta.tags, meta.tagVersions, meta.bornAt]));
}

/** Tags, their versions and the birth time from the header's bytes; null when malformed. */
function parseTagsHeader(buf: Buffer, n: number): Pick<EntryMeta, "tags" | "tagVersions" | "bornAt"> | null {
  if (n > UNTAGGED.length && buf.compare(UNTAGGED, 0, UNTAGGED.length, HEADER, HEADER + UNTAGGED.length) === 0) {
    const bornAt = Number(buf.toString("latin1", HEADER + UNTAGGED.length, HEADER + n - 1));
    if (buf[HEADER + n - 1] === 0x5d && Number.isFinite(bornAt)) return { tags: [], tagVersions: [], bornAt };
  }
  try {
    const [tags, tagVersions, bornAt] = JSON.parse(buf.toString("utf8", HEADER, HEADER + n)) as [
      string[],
      number[],
      unknown,
    ];
    return typeof bornAt === "number" ? { tags, tagVersions, bornAt } : { tags, tagVersions };
  } catch {
    return null;
  }
}

export function encodeEntry(meta: EntryMeta, body: Buffer): Buffer {
  const tagsJson = tagsHeader(meta);
  const n = tagsJson?.length ?? 0;
  const buf = Buffer.allocUnsafe(HEADER + n + body.length);
  buf.writeUInt8(FORMAT, 0);
  buf.writeUInt8(meta.kind, 1);
  buf.writeDoubleLE(meta.freshUntil, 2);
  buf.writeDoubleLE(meta.staleUntil, 10);
  buf.writeUInt32LE(Math.min(Math.max(0, Math.round(meta.loadMs)), 0xffffffff), 18);
  buf.writeDoubleLE(meta.generation, 22);
  buf.writeUInt16LE(n, 30);
  if (tagsJson) tagsJson.copy(buf, HEADER);
  body.copy(buf, HEADER + n);
  return buf;
}

/** Decodes a stored entry; anything malformed (another format, a truncated value) is null, a miss. */
export function decodeEntry(buf: Buffer): { meta: EntryMeta; body: Buffer } | null {
  if (buf.length < HEADER || buf.readUInt8(0) !== FORMAT) return null;
  const n = buf.readUInt16LE(30);
  if (buf.length < HEADER + n) return null;
  const header = n > 0 ? parseTagsHeader(buf, n) : { tags: [], tagVersions: [] };
  if (!header) return null;
  return {
    meta: {
      kind: buf.readUInt8(1),
      freshUntil: buf.readDoubleLE(2),
      staleUntil: buf.readDoubleLE(10),
      loadMs: buf.readUInt32LE(18),
      generation: buf.readDoubleLE(22),
      ...header,
    },
    body: buf.subarray(HEADER + n),
  };
}

/**
 * Whether an entry still stands: its key space has the generation it was loaded under, and each of its
 * tags has the version it was filled under (`tagVersions` in the order of `meta.tags`). The one check,
 * for L2 reads and tests alike.
 */
export function entryCurrent(
  meta: Pick<EntryMeta, "generation" | "tags" | "tagVersions">,
  generation: number,
  tagVersions: readonly number[],
): boolean {
  return meta.generation === generation && meta.tags.every((_, i) => tagVersions[i] === meta.tagVersions[i]);
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

/** An entry ready for both tiers: its meta, its bytes for L2, and the value L1 keeps. */
export interface BuiltEntry {
  meta: EntryMeta;
  body: Buffer;
  value: unknown;
}

export interface EntryTimes {
  ttl: number;
  staleWindow: number;
  negativeTtl: number;
  jitter: number;
  tags: readonly string[];
}

/** What the moment of the fill contributes: the clock, the dice, and the versions read before the load. */
export interface EntryContext {
  now: number;
  random: number;
  loadMs: number;
  generation: number;
  tagVersions: number[];
}

/** Builds the entry of a loader's result; null and undefined become the not-found marker. */
export function buildEntry(value: unknown, o: EntryTimes, at: EntryContext, serializer: Serializer): BuiltEntry {
  const notFound = value === null || value === undefined;
  const ttl = notFound ? o.negativeTtl : jitteredTtl(o.ttl, o.jitter, at.random);
  const kind = notFound ? KIND_NOT_FOUND : Buffer.isBuffer(value) ? KIND_BINARY : KIND_SERIALIZED;
  const body =
    kind === KIND_NOT_FOUND ? Buffer.alloc(0) : kind === KIND_BINARY ? (value as Buffer) : serializer.serialize(value);
  const meta: EntryMeta = {
    kind,
    freshUntil: at.now + ttl,
    staleUntil: at.now + ttl + (notFound ? 0 : o.staleWindow),
    loadMs: at.loadMs,
    generation: at.generation,
    tags: [...o.tags],
    tagVersions: at.tagVersions,
    bornAt: at.now,
  };
  return { meta, body, value: notFound ? null : value };
}

/** The value of a stored body; binary values are copied, so the L2 reply they came in can be freed. */
export function decodeValue(kind: number, body: Buffer, serializer: Serializer): unknown {
  if (kind === KIND_NOT_FOUND) return null;
  if (kind === KIND_BINARY) return Buffer.from(body);
  return serializer.deserialize(body);
}
