import { PREVIEW_SIZES, PRICING, type PricingMaterial } from "@printfab/mesh";
import { type Static, Type } from "typebox";

/** The materials the price table knows: what a product can be made of and a quote can be asked for. */
export const MATERIALS = Object.keys(PRICING.materials) as PricingMaterial[];

/** An upload's body in OpenAPI; validated by the mesh parser, not by JSON Schema. */
export const ModelBodySchema = Type.Unsafe<Buffer>({
  type: "string",
  format: "binary",
  description: "an STL, OBJ or 3MF file",
});

const Vec3 = Type.Tuple([Type.Number(), Type.Number(), Type.Number()]);

export const MeasurementsSchema = Type.Object({
  triangleCount: Type.Integer(),
  vertexCount: Type.Integer(),
  bbox: Type.Object({ min: Vec3, max: Vec3, size: Vec3 }),
  volume: Type.Number({ description: "mm³" }),
  surfaceArea: Type.Number({ description: "mm²" }),
  inverted: Type.Boolean(),
  watertight: Type.Boolean(),
  consistentOrientation: Type.Boolean(),
  boundaryEdges: Type.Integer(),
  nonManifoldEdges: Type.Integer(),
  degenerateTriangles: Type.Integer(),
});

export const AnalysisSchema = Type.Object({
  format: Type.Enum(["stl", "obj", "3mf"]),
  sha256: Type.String(),
  measurements: MeasurementsSchema,
});

/** Query string of a quote: the pricing options. */
export const QuoteQuerySchema = Type.Object(
  {
    material: Type.Enum([...MATERIALS], { default: "PLA" }),
    infill: Type.Number({ minimum: PRICING.limits.infill[0], maximum: PRICING.limits.infill[1], default: 0.2 }),
    layerHeight: Type.Number({
      minimum: PRICING.limits.layerHeightMm[0],
      maximum: PRICING.limits.layerHeightMm[1],
      default: 0.2,
    }),
    quantity: Type.Integer({ minimum: PRICING.limits.quantity[0], maximum: PRICING.limits.quantity[1], default: 1 }),
  },
  { additionalProperties: false },
);

export const QuoteSchema = Type.Intersect([
  AnalysisSchema,
  Type.Object({
    quote: Type.Object({
      pricingVersion: Type.Integer(),
      currency: Type.String(),
      options: Type.Object({
        material: Type.String(),
        infill: Type.Number(),
        layerHeightMm: Type.Number(),
        quantity: Type.Integer(),
      }),
      massGrams: Type.Number(),
      printTimeHours: Type.Number(),
      unitPriceCents: Type.Integer(),
      totalCents: Type.Integer(),
      breakdown: Type.Object({
        materialCents: Type.Integer(),
        machineCents: Type.Integer(),
        setupFeeCents: Type.Integer(),
      }),
    }),
  }),
]);

/** A model's metadata as the Shop shows it with a product. */
export const ModelMetadataSchema = Type.Object({
  sha256: Type.String(),
  format: Type.Enum(["stl", "obj", "3mf"]),
  modelKey: Type.String(),
  measurements: MeasurementsSchema,
});

/** Query string of a model's preview: its size in pixels. */
export const PreviewQuerySchema = Type.Object(
  { size: Type.Integer({ minimum: PREVIEW_SIZES.min, maximum: PREVIEW_SIZES.max, default: PREVIEW_SIZES.default }) },
  { additionalProperties: false },
);

/** A preview's bytes in OpenAPI. */
export const PreviewPngSchema = Type.Unsafe<Buffer>({ type: "string", format: "binary" });

export type Analysis = Static<typeof AnalysisSchema>;
export type QuoteQuery = Static<typeof QuoteQuerySchema>;
export type Quote = Static<typeof QuoteSchema>;
export type ModelMetadata = Static<typeof ModelMetadataSchema>;
