import type { Readable } from "node:stream";
import type { ModelMetadata } from "@printfab/contracts";
import { contentHashAsync, type MeshPool, PREVIEW_SIZES } from "@printfab/mesh";
import { AppError, meshTask, unprocessable } from "@printfab/platform";
import { type ByteRange, type ObjectStore, RangeNotSatisfiableError } from "@printfab/storage";

const metadataKey = (sha: string) => `metadata/${sha}.json`;
const previewKey = (sha: string, size: number) => `previews/${sha}/${size}.png`;

/**
 * The Shop's 3D models in the object store, content-addressed: `models/<sha256>.<format>`, with
 * `metadata/<sha256>.json` and `previews/<sha256>/<size>.png` written when a product's model is set.
 * `metadata` and `preview` are the reads a cache wraps (by content hash, so never stale).
 */
export class ModelCatalog {
  constructor(
    private readonly store: ObjectStore,
    private readonly pool: MeshPool,
  ) {}

  /** Stores an uploaded model with its metadata and default preview; returns its metadata. */
  async ingest(bytes: Buffer): Promise<ModelMetadata> {
    const analysis = await meshTask(this.pool.analyze(bytes));
    const modelKey = `models/${analysis.sha256}.${analysis.format}`;
    if (!(await this.store.head(modelKey)))
      await this.store.put(modelKey, bytes, { contentType: "application/octet-stream" });
    return this.#describe(bytes, { ...analysis, modelKey });
  }

  /**
   * Makes sure an existing object has its metadata and preview (when a product's model is set by key);
   * returns the model's content hash. A missing object is a 422.
   */
  async attach(modelKey: string): Promise<string> {
    const bytes = await this.store.get(modelKey);
    if (!bytes) throw unprocessable("model_not_found", `no model is stored under '${modelKey}'`);
    const sha = await contentHashAsync(bytes);
    if (await this.store.head(metadataKey(sha))) return sha;
    const analysis = await meshTask(this.pool.analyze(bytes));
    await this.#describe(bytes, { ...analysis, modelKey });
    return sha;
  }

  async metadata(sha: string): Promise<ModelMetadata | null> {
    const json = await this.store.get(metadataKey(sha));
    return json ? (JSON.parse(json.toString("utf8")) as ModelMetadata) : null;
  }

  /** The preview PNG of a model at a size; rendered and stored on first request for a size. */
  async preview(sha: string, size: number): Promise<Buffer | null> {
    const stored = await this.store.get(previewKey(sha, size));
    if (stored) return stored;
    const meta = await this.metadata(sha);
    if (!meta) return null;
    const model = await this.store.get(meta.modelKey);
    if (!model) return null;
    const png = await meshTask(this.pool.preview(model, size));
    await this.store.put(previewKey(sha, size), png, { contentType: "image/png" });
    return png;
  }

  /**
   * A model file as the cache keeps it: its bytes when it has at most `maxBytes`, else only its size (it
   * is then streamed by `fileStream`); null when nothing is stored under the key.
   */
  async file(modelKey: string, maxBytes: number): Promise<Buffer | { size: number } | null> {
    const info = await this.store.head(modelKey);
    if (!info) return null;
    return info.size > maxBytes ? { size: info.size } : this.store.get(modelKey);
  }

  /**
   * A model file, or a range of it, straight from the store: never whole in memory. A range the stored
   * object is too short for (it was overwritten behind the cached size's back) is the client's 416.
   */
  async fileStream(modelKey: string, range?: ByteRange): Promise<Readable | null> {
    try {
      return await this.store.getStream(modelKey, range);
    } catch (err) {
      if (err instanceof RangeNotSatisfiableError) {
        throw new AppError(416, "range_not_satisfiable", "the requested range is past the end of the file");
      }
      throw err;
    }
  }

  async #describe(bytes: Buffer, meta: ModelMetadata): Promise<ModelMetadata> {
    const png = await meshTask(this.pool.preview(bytes, PREVIEW_SIZES.default));
    await this.store.put(previewKey(meta.sha256, PREVIEW_SIZES.default), png, { contentType: "image/png" });
    await this.store.put(metadataKey(meta.sha256), Buffer.from(JSON.stringify(meta)), {
      contentType: "application/json",
    });
    return meta;
  }
}
