import { describe, expect, it } from "vitest";
import { toPrefixQuery } from "../src/product-store.ts";

describe("toPrefixQuery", () => {
  it("keeps words only, as prefixes, so no tsquery syntax reaches PostgreSQL", () => {
    expect(toPrefixQuery("Spur GEAR")).toBe("spur:* & gear:*");
    expect(toPrefixQuery("a&b|!c:*)(")).toBe("a:* & b:* & c:*");
    expect(toPrefixQuery("Höhe 3D")).toBe("höhe:* & 3d:*");
    expect(toPrefixQuery("  !!! ")).toBeNull();
  });
});
