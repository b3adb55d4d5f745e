import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * Three pages, one build: the services serve `dist/` (the Shop `/`, MES `/board`, each service `/ops`) and
 * send `assets/` with immutable cache headers, which the content hashes in the file names make safe.
 */
export default defineConfig({
  root: here("."),
  base: "/",
  publicDir: false,
  logLevel: "warn",
  build: {
    outDir: here("dist"),
    emptyOutDir: true,
    assetsDir: "assets",
    manifest: true,
    target: "es2022",
    // three.js is one large chunk, loaded only where a 3D view is shown.
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      input: { index: here("index.html"), board: here("board.html"), ops: here("ops.html") },
    },
  },
});
