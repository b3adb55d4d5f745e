import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import { AppError } from "./errors.ts";
import type { HttpApp } from "./http-app.ts";

export interface PageRoutes {
  /** The front end's build (Vite's `dist/`): HTML pages, and content-hashed files under `assets/`. */
  distDir: string;
  /** Path -> HTML file of the build, e.g. `{ "/": "index.html", "/ops": "ops.html" }`. */
  pages: Record<string, string>;
}

/**
 * The pages keep every script, style and connection on their own origin; what a page may do is what
 * its own service allows. WebGL needs nothing more; previews and dropped files show as blob: and data:.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

/**
 * Serves the pages of the front end's build. The HTML is revalidated on every visit (it names the current
 * assets); the assets are immutable. A build that is missing is a 503 that says how to make it.
 */
export async function pageRoutes(app: HttpApp, { pages: { distDir, pages } }: { pages: PageRoutes }): Promise<void> {
  const assets = join(distDir, "assets");
  if (existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: "/assets/",
      decorateReply: false,
      index: false,
      // `public, max-age=31536000, immutable`: a file's name carries the hash of its content.
      maxAge: 31_536_000_000,
      immutable: true,
    });
  }
  for (const [path, file] of Object.entries(pages)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => {
      const html = await readFile(join(distDir, file)).catch(() => {
        throw new AppError(503, "pages_not_built", "the pages are not built: run `npm run build -w @printfab/web`");
      });
      return reply
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-cache")
        .header("content-security-policy", CONTENT_SECURITY_POLICY)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "same-origin")
        .send(html);
    });
  }
}
