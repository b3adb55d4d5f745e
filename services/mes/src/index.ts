export * from "./mes-app.ts";
export * from "./order-lifecycle.ts";
export type { SlicingSettings } from "./slicing/create-slicing.ts";
