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

/** The materials an FDM printer slices: resin is printed on another kind of machine. */
export const SLICEABLE_MATERIALS = MATERIALS.filter((m) => m !== "resin");

/** Whether a model can be printed on the shop's printer, as a customer sees it before paying. */
export const PrintabilitySchema = Type.Object({
  printable: Type.Boolean({ description: "fits the printer and is watertight; the slicer's warnings aside" }),
  fitsPrinter: Type.Boolean(),
  watertight: Type.Boolean(),
  printer: Type.Object({
    name: Type.String(),
    volumeMm: Vec3,
    nozzleMm: Type.Number(),
  }),
  /** Why it cannot be printed as it is, in words a customer understands; empty when printable. */
  problems: Type.Array(Type.String()),
  /** The slicer's warnings, once the model was sliced with these options. */
  warnings: Type.Array(Type.String()),
});

export const QuoteSchema = Type.Intersect([
  AnalysisSchema,
  Type.Object({
    /**
     * Where the print time and mass come from: PrusaSlicer's figures when this model was sliced with these
     * options, else the measure-and-estimate rule. Optional until every MES in a rolling deploy sends it.
     */
    estimator: Type.Optional(Type.Enum(["slicer", "heuristic"])),
    printability: Type.Optional(PrintabilitySchema),
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

/** The profile options of a slice (the printer is the shop's own). */
export const SliceQuerySchema = Type.Object(
  {
    material: Type.Enum([...SLICEABLE_MATERIALS], { default: "PLA" }),
    infill: QuoteQuerySchema.properties.infill,
    layerHeight: QuoteQuerySchema.properties.layerHeight,
  },
  { additionalProperties: false },
);

/** A stored model to slice, as the JSON alternative to uploading the file. */
export const SliceModelRefSchema = Type.Object(
  { modelKey: Type.String({ minLength: 1, maxLength: 512, pattern: "^models/[A-Za-z0-9._-]+$" }) },
  { additionalProperties: false },
);

/** What PrusaSlicer says of a model sliced with a profile, read from the G-code it wrote. */
export const SliceFiguresSchema = Type.Object({
  printTimeSeconds: Type.Integer({ description: "estimated printing time, normal mode" }),
  filamentMm: Type.Number(),
  filamentCm3: Type.Number(),
  filamentGrams: Type.Number(),
  layerCount: Type.Integer(),
  warnings: Type.Array(Type.String()),
});

export const SliceResultSchema = Type.Object({
  modelSha256: Type.String(),
  profileHash: Type.String({ description: "sha256 of the slicer configuration file" }),
  profileVersion: Type.Integer(),
  slicerVersion: Type.String(),
  gcodeKey: Type.String({ description: "the G-code in the object store (content-addressed)" }),
  gcodeBytes: Type.Integer(),
  figures: SliceFiguresSchema,
});

export const SliceJobStateSchema = Type.Enum(["queued", "running", "done", "failed", "cancelled"]);

/** A slicing job: `done` carries the result, `failed` the error. */
export const SliceJobSchema = Type.Object({
  id: Type.String(),
  state: SliceJobStateSchema,
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  createdAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  modelSha256: Type.String(),
  options: Type.Object({ material: Type.String(), infill: Type.Number(), layerHeight: Type.Number() }),
  printability: PrintabilitySchema,
  result: Type.Optional(SliceResultSchema),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});

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
export type Printability = Static<typeof PrintabilitySchema>;
export type SliceQuery = Static<typeof SliceQuerySchema>;
export type SliceFigures = Static<typeof SliceFiguresSchema>;
export type SliceResult = Static<typeof SliceResultSchema>;
export type SliceJobState = Static<typeof SliceJobStateSchema>;
export type SliceJob = Static<typeof SliceJobSchema>;
