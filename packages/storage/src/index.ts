export * from "./filesystem-store.ts";
export * from "./metrics.ts";
export * from "./object-store.ts";
export * from "./s3-store.ts";
export * from "./socket-errors.ts";
