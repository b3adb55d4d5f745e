/**
 * Why a model was refused, as a stable `code` the HTTP edge maps to a status (the class alone does not
 * survive a worker thread, and callers should not match on messages).
 */
export type MeshErrorCode = "invalid_model" | "model_too_large" | "model_deadline" | "busy";

/** A file we refuse to read, with the reason; the base class of every refusal of this package. */
export class MeshError extends Error {
  readonly code: MeshErrorCode;

  constructor(message: string, code: MeshErrorCode = "invalid_model") {
    super(message);
    this.name = "MeshError";
    this.code = code;
  }
}

/** A model (or what it expands to) beyond the configured limits: triangles, vertices, inflated bytes, memory. */
export class MeshTooLargeError extends MeshError {
  constructor(message: string) {
    super(message, "model_too_large");
    this.name = "MeshTooLargeError";
  }
}

/** A task refused because it ran past the deadline. */
export class MeshDeadlineError extends MeshError {
  constructor(ms: number) {
    super(`processing the model took longer than ${ms} ms`, "model_deadline");
    this.name = "MeshDeadlineError";
  }
}

/** A task refused because every worker is busy and the queue is full. */
export class MeshBusyError extends MeshError {
  constructor() {
    super("too many models are being processed; try again shortly", "busy");
    this.name = "MeshBusyError";
  }
}

/** The codes a worker thread can send back; deadlines and a full queue are decided by the pool itself. */
export type WorkerErrorCode = "invalid_model" | "model_too_large";

/** Rebuilds, on the pool's side, the class of a refusal that crossed the worker boundary as data. */
export function meshErrorFromWorker(code: WorkerErrorCode, message: string): MeshError {
  return code === "model_too_large" ? new MeshTooLargeError(message) : new MeshError(message);
}
