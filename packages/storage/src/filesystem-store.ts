import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { access, type FileHandle, mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { type CountRequest, objectStoreRequests } from "./metrics.ts";
import { assertValidKey, assertValidRange, type ObjectStore, RangeNotSatisfiableError } from "./object-store.ts";

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";

/**
 * A folder as an object store, for the embedded default. Writes go to a temporary file renamed into
 * place, so a reader never sees half an object.
 */
export function createFilesystemStore(root: string, countRequest: CountRequest = objectStoreRequests()): ObjectStore {
  const base = resolve(root);
  const pathOf = (key: string) => {
    assertValidKey(key);
    return join(base, key);
  };

  return {
    kind: "filesystem",
    async put(key, body) {
      const path = pathOf(key);
      countRequest("put");
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
      try {
        if (Buffer.isBuffer(body)) await writeFile(tmp, body);
        else await pipeline(body, createWriteStream(tmp));
        await rename(tmp, path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    },
    async get(key) {
      const path = pathOf(key);
      countRequest("get");
      try {
        return await readFile(path);
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    },
    async getStream(key, range) {
      const path = pathOf(key);
      if (range) assertValidRange(range);
      countRequest("get");
      let file: FileHandle;
      try {
        file = await open(path);
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
      // The open file: a put renaming a new object into place meanwhile cannot change what is read.
      if (!range) return file.createReadStream();
      const { size } = await file.stat().catch(async (err) => {
        await file.close();
        throw err;
      });
      // A read stream past the end would be empty, where S3 answers 416: the same contract for both.
      if (range.start >= size) {
        await file.close();
        throw new RangeNotSatisfiableError(key, range);
      }
      return file.createReadStream({ start: range.start, end: Math.min(range.end, size - 1) });
    },
    async head(key) {
      const path = pathOf(key);
      countRequest("head");
      try {
        const s = await stat(path);
        return { size: s.size, contentType: undefined, etag: `${s.size}-${s.mtimeMs}` };
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    },
    async delete(key) {
      const path = pathOf(key);
      countRequest("delete");
      await rm(path, { force: true });
    },
    async ensureReady() {
      await mkdir(base, { recursive: true });
    },
    async check() {
      await access(base);
    },
  };
}
