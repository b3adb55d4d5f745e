/** Turns values into bytes for L2. Buffers bypass it and are stored as they are. */
export interface Serializer {
  serialize(value: unknown): Buffer;
  deserialize(bytes: Buffer): unknown;
}

export const jsonSerializer: Serializer = {
  serialize: (value) => Buffer.from(JSON.stringify(value) ?? "null"),
  deserialize: (bytes) => JSON.parse(bytes.toString("utf8")),
};
