import { PRICING } from "@printfab/mesh";
import { describe, expect, it } from "vitest";
import { clampOption, modelFormatOf, QUOTE_LIMITS, QUOTE_MATERIALS, quoteQuery } from "../app/lib/quote-options.ts";

describe("quote options", () => {
  it("are the price table's materials and limits", () => {
    expect([...QUOTE_MATERIALS].sort()).toEqual(Object.keys(PRICING.materials).sort());
    expect(QUOTE_LIMITS).toEqual(PRICING.limits);
  });

  it("screen files by extension", () => {
    expect(modelFormatOf("Bracket.STL")).toBe("stl");
    expect(modelFormatOf("part.obj")).toBe("obj");
    expect(modelFormatOf("x.3mf")).toBe("3mf");
    expect(modelFormatOf("notes.txt")).toBeNull();
    expect(modelFormatOf("stl")).toBeNull();
  });

  it("build the quote's query string and clamp typed values", () => {
    expect(quoteQuery({ material: "PETG", infill: 0.3, layerHeight: 0.2, quantity: 2 })).toBe(
      "material=PETG&infill=0.3&layerHeight=0.2&quantity=2",
    );
    expect(clampOption(5, QUOTE_LIMITS.infill, 0.2)).toBe(1);
    expect(clampOption(Number.NaN, QUOTE_LIMITS.infill, 0.2)).toBe(0.2);
  });
});
