// The package's surface. The facade's parts (bus.ts, l2-tier.ts, lease-waiters.ts, load-pipeline.ts,
// local-tier.ts) are internal: reach them through `Cache`.
export * from "./backend.ts";
export * from "./cache.ts";
export * from "./circuit-breaker.ts";
export * from "./consistency-audit.ts";
export * from "./entry.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./heartbeat.ts";
export * from "./journal.ts";
export * from "./keys.ts";
export * from "./l1-cache.ts";
export * from "./l2-driver.ts";
export * from "./memory-l2.ts";
export * from "./metrics.ts";
export * from "./redis-bus.ts";
export * from "./redis-connection.ts";
export * from "./redis-l2.ts";
export * from "./remote-tier.ts";
export * from "./serializer.ts";
export * from "./single-flight.ts";
