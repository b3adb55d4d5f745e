import { type Static, Type } from "typebox";

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  email: Type.String({ format: "email", maxLength: 320 }),
  phone: Type.String({ pattern: "^[+0-9 ()-]{3,32}$" }),
  address: Type.String({ maxLength: 1000 }),
};

export const CustomerSchema = Type.Object({
  id: Type.Integer(),
  ...fields,
  updatedAt: Type.String({ format: "date-time" }),
});

export const CustomerPatchSchema = Type.Partial(Type.Object(fields), { additionalProperties: false, minProperties: 1 });

export type Customer = Static<typeof CustomerSchema>;
export type CustomerPatch = Static<typeof CustomerPatchSchema>;
