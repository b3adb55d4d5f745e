import { tetrahedron, toBinaryStl } from "@printfab/mesh";
import { strToU8, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSystem, type TestSystem } from "../support/test-system.ts";

/**
 * The uploads that took the services down or starved them, sent as an outsider would: through the
 * Shop's public quote route, with the services' real worker pool behind it.
 */
let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem({ uploadLimitBytes: 32 * 1024 * 1024 });
});
afterAll(() => sys.stop());

const quote = (bytes: Uint8Array) =>
  sys.call(`${sys.urls.shop}/quotes`, {
    method: "POST",
    rawBody: Buffer.from(bytes),
    headers: { "content-type": "application/octet-stream" },
  });

/** 422 bytes of 3MF: 13 levels of objects, each holding 4 components of the next, over one triangle. */
function componentBomb(levels = 13, width = 4): Uint8Array {
  const triangle =
    '<object id="0"><mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="0" y="1" z="0"/></vertices><triangles><triangle v1="0" v2="1" v3="2"/></triangles></mesh></object>';
  const objects = [triangle];
  for (let i = 1; i <= levels; i++) {
    objects.push(
      `<object id="${i}"><components>${`<component objectid="${i - 1}"/>`.repeat(width)}</components></object>`,
    );
  }
  const xml = `<model unit="millimeter"><resources>${objects.join("")}</resources><build><item objectid="${levels}"/></build></model>`;
  return zipSync({ "3D/3dmodel.model": strToU8(xml) }, { level: 9 });
}

/** One OBJ face with 5.3 million corners: a fan of as many triangles. */
const hugeFan = () => Buffer.from(`v 0 0 0\nv 1 0 0\nv 0 1 0\nf ${"1 2 3 ".repeat(1_770_000)}\n`);

/** A binary STL whose corners sit at x = k * 16384: they collided in the old welding hash. */
function collidingStl(triangles: number): Buffer {
  const out = Buffer.alloc(84 + triangles * 50);
  out.writeUInt32LE(triangles, 80);
  for (let t = 0; t < triangles; t++) {
    const at = 84 + t * 50 + 12;
    const corners = [t * 3, t * 3 + 1, t * 3 + 2];
    corners.forEach((k, c) => {
      out.writeFloatLE(k * 16384, at + c * 12);
      out.writeFloatLE(c === 1 ? 1 : 0, at + c * 12 + 4);
      out.writeFloatLE(c === 2 ? 1 : 0, at + c * 12 + 8);
    });
  }
  return out;
}

const alive = async () => {
  for (const url of Object.values(sys.urls)) expect((await fetch(`${url}/health`)).status).toBe(200);
};

describe("hostile uploads", () => {
  it("refuses the 3MF component bomb with 413 before expanding it, and every service keeps answering", async () => {
    const bomb = componentBomb();
    expect(bomb.length).toBeLessThan(1024);
    const res = await quote(bomb);
    expect([res.status, res.body.error.code]).toEqual([413, "model_too_large"]);
    await alive();
  });

  it("refuses the OBJ fan of 5.3 million corners with 413, and every service keeps answering", async () => {
    const res = await quote(hugeFan());
    expect([res.status, res.body.error.code]).toEqual([413, "model_too_large"]);
    await alive();
  });

  it("answers a 4-triangle quote while a colliding STL is being analysed", async () => {
    const hostile = quote(collidingStl(300_000));
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    const small = await quote(toBinaryStl(tetrahedron(10)));
    const smallMs = performance.now() - started;
    expect(small.status).toBe(200);
    expect(small.body.measurements.triangleCount).toBe(4);
    // Small files have their own lane, and the weld is not steerable: the quote waited 18 s here before.
    expect(smallMs).toBeLessThan(5_000);
    const big = await hostile;
    expect(big.status).toBe(200);
    expect(big.body.measurements.triangleCount).toBe(300_000);
  }, 60_000);
});
