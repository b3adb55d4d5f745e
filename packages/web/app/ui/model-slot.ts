import type { ModelFormat } from "../lib/types.ts";
import { h } from "./dom.ts";

/** Whether this browser can draw WebGL at all (headless browsers and old phones may not). */
function webglAvailable(): boolean {
  try {
    const canvas = document.createElement("canvas");
    return Boolean(canvas.getContext("webgl2") ?? canvas.getContext("webgl"));
  } catch {
    return false;
  }
}

/**
 * Puts a 3D view of a model in `container`, or, when WebGL is missing or the model cannot be shown, the
 * fallback picture (a PNG preview) with a note: the page around it works either way.
 */
export async function mountModel(
  container: HTMLElement,
  load: () => Promise<{ bytes: ArrayBuffer; format: ModelFormat }>,
  fallback: { src: string; alt: string } | null,
): Promise<() => void> {
  const fallBack = (why: string) => {
    container.replaceChildren(
      ...(fallback
        ? [h("img", { src: fallback.src, alt: fallback.alt, "data-testid": "model-fallback", class: "model-fallback" })]
        : []),
      h("p", { class: "note", "data-testid": "model-note" }, why),
    );
    return () => {};
  };
  if (!webglAvailable()) return fallBack("3D view unavailable in this browser (no WebGL).");
  container.replaceChildren(h("p", { class: "note" }, "Loading the 3D view…"));
  try {
    const [{ showModel }, model] = await Promise.all([import("./model-view.ts"), load()]);
    return showModel(container, model.bytes, model.format);
  } catch (err) {
    return fallBack(`The 3D view could not be shown: ${(err as Error).message}`);
  }
}
