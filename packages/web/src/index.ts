import { existsSync, readFileSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The pages a build must contain: the storefront, the production board and the cache dashboard. */
export const WEB_PAGES = ["index.html", "board.html", "ops.html"] as const;

const packageDir = fileURLToPath(new URL("..", import.meta.url));

/** Absolute path of the Vite build the services serve. */
export const webDistDir = fileURLToPath(new URL("../dist", import.meta.url));

const manifestPath = (dir: string) => `${dir}/.vite/manifest.json`;

/** True when `dist/` holds a complete build: its manifest names every page. */
export function isWebBuilt(dir: string = webDistDir): boolean {
  if (!existsSync(manifestPath(dir))) return false;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath(dir), "utf8")) as Record<string, unknown>;
    return WEB_PAGES.every((page) => page in manifest && existsSync(`${dir}/${page}`));
  } catch {
    return false;
  }
}

/**
 * Builds the pages with Vite into `dir` (`dist/`) when it holds no complete build (`npm run build -w
 * @printfab/web` rebuilds unconditionally). The build goes to a folder of its own and is renamed into
 * place, so two processes starting at once (one service each) never serve or leave half a build: a
 * complete build that appeared meanwhile is kept, and this one dropped.
 */
export async function buildWeb(dir: string = webDistDir): Promise<string> {
  if (isWebBuilt(dir)) return dir;
  const { build } = await import("vite");
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await build({
      configFile: `${packageDir}/vite.config.ts`,
      logLevel: "warn",
      build: { outDir: tmp, emptyOutDir: true },
    });
    if (isWebBuilt(dir)) return dir;
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
      if (!isWebBuilt(dir)) throw err;
    });
    return dir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
