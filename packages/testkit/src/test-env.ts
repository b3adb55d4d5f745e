/**
 * Settings for the services under test, beside each test's own:
 * - The consistency auditor re-reads a sample of cache hits from the source a second later, and those
 *   loads would land, now and then, in the query counts that tests assert (one load per cold key, none
 *   for a hot one). Its own tests turn it on; the write check, which costs no query, stays on.
 * - Placing an order slices its models in the background (seconds of CPU each): a test that places orders
 *   for other reasons would share two cores with PrusaSlicer. The slicing tests turn it on.
 */
export const TEST_SERVICE_ENV = { CACHE_AUDIT_READ_RATE: "0", SLICER: "off" } as const;
