import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats ships CommonJS with a default export that ESM sees one level down.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/**
 * The one validator of TypeBox schemas, for routes (through Fastify) and for the configuration: ajv, which
 * Fastify is built on. Bodies are checked strictly; text from query strings, paths and the environment
 * is coerced to the schema's types.
 */
export function makeAjv(coerceTypes: boolean | "array", allErrors = false): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors, strict: false });
  addFormats(ajv);
  return ajv;
}
