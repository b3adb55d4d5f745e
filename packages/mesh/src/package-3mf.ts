import { XMLParser } from "fast-xml-parser";
import { Unzip, UnzipInflate } from "fflate";
import { MeshError, MeshTooLargeError } from "./errors.ts";
import { list, type Xml } from "./expand-3mf.ts";

/**
 * The XML parser every part goes through: namespace prefixes dropped (so `p:path` reads as `path`), no
 * entities. One for the module: it keeps no state between documents.
 */
export const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  removeNSPrefix: true,
  parseAttributeValue: false,
  processEntities: false,
});

/** A model part of the package, inflated. */
export interface Part {
  /** Its name as the archive spells it, with the leading slash: for messages. */
  name: string;
  bytes: Buffer;
}

/** The model parts of a 3MF package by key (see `partKey`), and the key of the root model part. */
export interface Package {
  root: string;
  parts: Map<string, Part>;
}

/**
 * Model parts a package may hold. A slicer's project has one per object (Bambu Studio, OrcaSlicer), so a few
 * hundred at most; each part costs a zip entry and an XML parse, so a package of many tiny parts is refused.
 */
export const MAX_MODEL_PARTS = 4096;
/** Longer references are no part name a producer writes; refusing them keeps messages and keys short. */
const MAX_PART_NAME = 1024;
/** What is handed to the unzipper at a time (see readParts). */
const PUSH_BYTES = 16 * 1024;
const RELS = "_rels/.rels";
/** The OPC relationship type of the 3MF StartPart: the root model part. */
const START_PART = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel";
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The key of the part an absolute part name (`/3D/Objects/object_1.model`) names, or a MeshError. OPC part names
 * compare as case-insensitive ASCII after percent-decoding, so the key is the decoded name, ASCII lower case,
 * without the leading slash. Only names inside the package are keys: no scheme or drive (`C:/...`, `file:`),
 * no `//host`, no `.` or `..` segments, no empty segment, no backslash or control character.
 */
export function partKey(name: string): string {
  const refuse = (why: string) => new MeshError(`3MF part name "${name.slice(0, 100)}" ${why}`);
  if (name.length > MAX_PART_NAME) throw refuse(`is longer than ${MAX_PART_NAME} characters`);
  if (SCHEME.test(name) || name.startsWith("//")) throw refuse("points outside the package");
  if (!name.startsWith("/")) throw refuse("is not an absolute path inside the package (it must start with /)");
  let decoded: string;
  try {
    decoded = decodeURIComponent(name.slice(1));
  } catch {
    throw refuse("is not a valid part name (bad percent-encoding)");
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\\\u0000-\u001f?#]/.test(decoded)) throw refuse("is not a valid part name");
  for (const segment of decoded.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw refuse("is not a valid part name (empty, . or .. segment)");
    }
  }
  return decoded.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** The key of a zip entry, or undefined when its name cannot be a part name (no reference can reach it). */
function entryKey(entry: string): string | undefined {
  try {
    // Some zip tools write Windows separators; no part name holds a backslash, so they can only mean that.
    return partKey(`/${entry.replaceAll("\\", "/")}`);
  } catch {
    return undefined;
  }
}

/** Inflates the model parts and the package relationships, counting bytes as they come out, within the limits. */
function readParts(bytes: Uint8Array, limit: number): Map<string, Part> {
  const parts = new Map<string, Part>();
  let total = 0;
  let models = 0;
  // fflate catches what a callback throws and hands it to the next callback as a corrupt stream: the
  // refusal is kept here so that it keeps its class.
  let refused: MeshError | undefined;
  const refuse = (err: MeshError) => {
    refused = err;
    throw err;
  };
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  unzip.onfile = (file) => {
    const key = entryKey(file.name);
    if (key === undefined || !(key.endsWith(".model") || key === RELS)) return;
    if (key !== RELS && ++models > MAX_MODEL_PARTS) {
      refuse(new MeshTooLargeError(`3MF package has more than ${MAX_MODEL_PARTS} model parts: refused`));
    }
    const chunks: Uint8Array[] = [];
    file.ondata = (err, chunk, final) => {
      if (err) throw refused ?? new MeshError(`3MF archive is corrupt: ${err.message}`);
      total += chunk.length;
      if (total > limit) refuse(new MeshTooLargeError(`3MF inflates to more than ${limit} bytes: refused`));
      chunks.push(chunk);
      if (!final) return;
      if (parts.has(key)) refuse(new MeshError(`3MF package has two parts named /${file.name} (names ignore case)`));
      parts.set(key, { name: `/${file.name}`, bytes: Buffer.concat(chunks) });
    };
    file.start();
  };
  try {
    // fflate's Unzip recurses once per entry found in a pushed buffer: a few thousand tiny entries in one push
    // overflow the stack. A slice holds at most a few hundred entries (a local header is 30 bytes or more).
    let at = 0;
    do {
      unzip.push(bytes.subarray(at, at + PUSH_BYTES), at + PUSH_BYTES >= bytes.length);
      at += PUSH_BYTES;
    } while (at < bytes.length);
  } catch (err) {
    if (refused) throw refused;
    if (err instanceof MeshError) throw err;
    throw new MeshError(`not a readable 3MF (zip) archive: ${(err as Error).message}`);
  }
  return parts;
}

/**
 * The root model part's key: the one StartPart relationship of `_rels/.rels` names it. A package without
 * relationships (hand-made zips) falls back to `/3D/3dmodel.model`, then to its first model part.
 */
function rootKey(parts: Map<string, Part>): string {
  const rels = parts.get(RELS);
  if (!rels) {
    const key = parts.has("3d/3dmodel.model") ? "3d/3dmodel.model" : parts.keys().next().value;
    if (key === undefined) throw new MeshError("3MF archive has no 3D model part");
    return key;
  }
  let doc: Xml;
  try {
    doc = xmlParser.parse(rels.bytes.toString("utf8"), true) as Xml;
  } catch (err) {
    throw new MeshError(`3MF package relationships (_rels/.rels) are not valid XML: ${(err as Error).message}`);
  }
  const starts = list((doc.Relationships as Xml | undefined)?.Relationship).filter(
    (r) => String(r.Type).toLowerCase() === START_PART,
  );
  if (starts.length !== 1) {
    const named = starts.length === 0 ? "no root 3D model part" : `${starts.length} root 3D model parts`;
    throw new MeshError(`3MF package relationships (_rels/.rels) name ${named}; a package has exactly one`);
  }
  const target = String((starts[0] as Xml).Target);
  if (String((starts[0] as Xml).TargetMode).toLowerCase() === "external") {
    throw new MeshError(`3MF root model part "${target.slice(0, 100)}" is outside the package`);
  }
  // A relative target in the package's relationships is relative to the package root.
  const key = partKey(target.startsWith("/") || SCHEME.test(target) ? target : `/${target}`);
  if (!parts.has(key)) throw new MeshError(`3MF root model part ${target.slice(0, 100)} is not in the package`);
  return key;
}

/** The package's model parts, inflated within the limit, and which one is the root. */
export function readPackage(bytes: Uint8Array, maxUncompressedBytes: number): Package {
  const parts = readParts(bytes, maxUncompressedBytes);
  const root = rootKey(parts);
  parts.delete(RELS);
  return { root, parts };
}
