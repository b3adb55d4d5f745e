/** The shared Redis tests cache on; each test uses a key namespace of its own on it. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
