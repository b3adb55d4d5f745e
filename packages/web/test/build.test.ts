import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildWeb, isWebBuilt, WEB_PAGES, webDistDir } from "../src/index.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("the web build", () => {
  it("lives in the package's dist/", () => {
    expect(webDistDir).toMatch(/packages\/web\/dist$/);
  });

  it("builds the three pages with content-hashed assets and a manifest, once", { timeout: 120_000 }, async () => {
    const root = await mkdtemp(join(tmpdir(), "printfab-web-"));
    dirs.push(root);
    const dir = join(root, "dist");
    expect(isWebBuilt(dir)).toBe(false);
    await buildWeb(dir);
    expect(isWebBuilt(dir)).toBe(true);
    expect((await readdir(root)).sort()).toEqual(["dist"]);

    const assets = await readdir(join(dir, "assets"));
    expect(assets.length).toBeGreaterThan(3);
    for (const file of assets) expect(file).toMatch(/^[\w-]+-[\w-]{8}\.(js|css)$/);
    for (const page of WEB_PAGES) {
      const html = await readFile(join(dir, page), "utf8");
      expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/[\w-]+-[\w-]{8}\.js"><\/script>/);
      expect(html).toContain('name="viewport"');
    }
    // The storefront does not load three.js until a 3D view is shown.
    const index = await readFile(join(dir, "index.html"), "utf8");
    expect(index).not.toContain("model-view");

    // A complete build is kept as it is.
    await writeFile(join(dir, "marker"), "x");
    await buildWeb(dir);
    expect(await readdir(dir)).toContain("marker");
  });

  it("is not complete when a page is missing or the manifest is unreadable", async () => {
    const dir = await mkdtemp(join(tmpdir(), "printfab-web-"));
    dirs.push(dir);
    await writeFile(join(dir, "index.html"), "");
    expect(isWebBuilt(dir)).toBe(false);
    await import("node:fs/promises").then((fs) => fs.mkdir(join(dir, ".vite")));
    await writeFile(join(dir, ".vite", "manifest.json"), "{ not json");
    expect(isWebBuilt(dir)).toBe(false);
    await writeFile(join(dir, ".vite", "manifest.json"), JSON.stringify({ "index.html": {}, "board.html": {} }));
    expect(isWebBuilt(dir)).toBe(false);
  });
});
