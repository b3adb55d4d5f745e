export * from "./free-port.ts";
export * from "./test-database.ts";
export * from "./test-redis.ts";
export * from "./test-s3.ts";
