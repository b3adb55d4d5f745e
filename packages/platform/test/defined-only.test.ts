import { describe, expect, it } from "vitest";
import { definedOnly } from "../src/defined-only.ts";

describe("definedOnly", () => {
  it("drops the options set to undefined, so that spreading them keeps the defaults", () => {
    const given = definedOnly({ a: 1, b: undefined, c: 0, d: null, e: false });
    expect(given).toEqual({ a: 1, c: 0, d: null, e: false });
    expect({ a: 9, b: 2, ...given }).toEqual({ a: 1, b: 2, c: 0, d: null, e: false });
  });
});
