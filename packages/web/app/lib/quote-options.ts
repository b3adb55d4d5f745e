import type { ModelFormat } from "./types.ts";

/**
 * The quote options the storefront offers: the materials of the price table (packages/mesh/src/pricing.ts)
 * and its limits. Restated because the page cannot bundle Node code; a unit test holds them equal.
 */
export const QUOTE_MATERIALS = ["PLA", "PETG", "ABS", "nylon", "resin"] as const;

export const QUOTE_LIMITS = { infill: [0, 1], layerHeightMm: [0.05, 0.4], quantity: [1, 10_000] } as const;

export const QUOTE_DEFAULTS = { infill: 0.2, layerHeightMm: 0.2, quantity: 1 } as const;

/** The files the quote accepts, by extension (the parser decides by content; this only screens). */
export function modelFormatOf(fileName: string): ModelFormat | null {
  const ext = fileName.toLowerCase().match(/\.(stl|obj|3mf)$/)?.[1];
  return (ext as ModelFormat | undefined) ?? null;
}

export interface QuoteParams {
  material: string;
  infill: number;
  layerHeight: number;
  quantity: number;
}

/** The query string of `POST /quotes`. */
export function quoteQuery(p: QuoteParams): string {
  const q = new URLSearchParams({
    material: p.material,
    infill: String(p.infill),
    layerHeight: String(p.layerHeight),
    quantity: String(p.quantity),
  });
  return q.toString();
}

/** Clamps a number typed into a form to a limit, or the default when it is not a number. */
export function clampOption(value: number, [min, max]: readonly [number, number], fallback: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}
