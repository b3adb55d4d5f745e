import { Pagination } from "@printfab/platform";
import { OBJECT_KEY_MAX_LENGTH, OBJECT_KEY_PATTERN } from "@printfab/storage";
import { type Static, Type } from "typebox";
import { MATERIALS, ModelMetadataSchema } from "./model.ts";

const Category = Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,39}$", description: "lower-case slug" });
export const ModelKey = Type.String({ pattern: OBJECT_KEY_PATTERN, maxLength: OBJECT_KEY_MAX_LENGTH });
export const Material = Type.Enum([...MATERIALS]);

export const ProductSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  category: Type.String(),
  material: Material,
  priceCents: Type.Integer(),
  modelKey: Type.Union([Type.String(), Type.Null()]),
  /** Content hash of the model: its metadata and previews are keyed by it. */
  modelSha256: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String({ format: "date-time" }),
});

/** A product as the Shop shows it alone: with its model's metadata. */
export const ProductDetailSchema = Type.Intersect([
  ProductSchema,
  Type.Object({ model: Type.Union([ModelMetadataSchema, Type.Null()]) }),
]);

/** A page of the catalogue; `q` is full-text search over name and description (every word, as a prefix). */
export const ProductQuerySchema = Type.Object(
  {
    ...Pagination,
    category: Type.Optional(Category),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const ProductPageSchema = Type.Object({
  items: Type.Array(ProductSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

const productFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 5000 }),
  category: Category,
  material: Material,
  priceCents: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  modelKey: Type.Union([ModelKey, Type.Null()]),
};

export const NewProductSchema = Type.Object(
  {
    name: productFields.name,
    description: Type.Optional(productFields.description),
    category: productFields.category,
    material: productFields.material,
    priceCents: productFields.priceCents,
    modelKey: Type.Optional(productFields.modelKey),
  },
  { additionalProperties: false },
);

export const ProductPatchSchema = Type.Partial(Type.Object(productFields), {
  additionalProperties: false,
  minProperties: 1,
});

export type Product = Static<typeof ProductSchema>;
export type ProductDetail = Static<typeof ProductDetailSchema>;
export type ProductQuery = Static<typeof ProductQuerySchema>;
export type ProductPage = Static<typeof ProductPageSchema>;
export type NewProduct = Static<typeof NewProductSchema>;
export type ProductPatch = Static<typeof ProductPatchSchema>;

/** A product's model file in OpenAPI: its bytes, or a range of them. */
export const ModelFileSchema = Type.Unsafe<Buffer>({ type: "string", format: "binary" });

/** `GET /categories` takes no query string. */
export const CategoryQuerySchema = Type.Object({}, { additionalProperties: false });

/** The catalogue's categories with how many products each has, by name. */
export const CategoryListSchema = Type.Object({
  items: Type.Array(Type.Object({ name: Type.String(), count: Type.Integer() })),
});

export type CategoryList = Static<typeof CategoryListSchema>;
