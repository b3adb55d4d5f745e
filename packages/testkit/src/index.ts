export * from "./free-port.ts";
export * from "./test-database.ts";
export * from "./test-s3.ts";
export * from "./test-system.ts";
