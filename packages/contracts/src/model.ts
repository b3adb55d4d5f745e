import { MeshError, PRICING } from "@printfab/mesh";
import { AppError, badRequest, unprocessable } from "@printfab/platform";
import { type Static, Type } from "typebox";

/** A mesh computation's refusal as the HTTP error (docs/architecture.md): by the mesh package's stable code. */
export async function meshTask<T>(task: Promise<T>): Promise<T> {
  try {
    return await task;
  } catch (err) {
    if (!(err instanceof MeshError)) throw err;
    switch (err.code) {
      case "busy":
        // Every 3D worker and its queue are full: the client may retry soon, as for any overload.
        throw new AppError(503, "busy", err.message, 2);
      case "model_too_large":
        throw new AppError(413, "model_too_large", err.message);
      case "model_deadline":
        throw unprocessable("model_deadline", err.message);
      default:
        throw unprocessable("invalid_model", err.message);
    }
  }
}

/** The uploaded file of a model route, or a 400 when the request carried none. */
export function modelBytes(body: unknown): Buffer {
  if (!Buffer.isBuffer(body)) {
    throw badRequest(
      "send the 3D file (STL, OBJ or 3MF) as the request body, e.g. content-type application/octet-stream",
    );
  }
  return body;
}

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

const materials = Object.keys(PRICING.materials) as Array<keyof typeof PRICING.materials>;

/** Query string of a quote: the pricing options. */
export const QuoteQuerySchema = Type.Object(
  {
    material: Type.Enum(materials, { default: "PLA" }),
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

export type ModelMetadata = Static<typeof ModelMetadataSchema>;
