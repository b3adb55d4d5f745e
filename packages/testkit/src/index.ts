export * from "./fault-proxy.ts";
export * from "./free-port.ts";
export * from "./redis-server.ts";
export * from "./test-database.ts";
export * from "./test-redis.ts";
export * from "./test-s3.ts";
