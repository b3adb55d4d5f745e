export * from "./seed.ts";
export * from "./system.ts";
