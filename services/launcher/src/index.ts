export * from "./random.ts";
export * from "./seed.ts";
export * from "./system.ts";
