/** How the pages write numbers, prices and statuses. Fixed locale: the same text on every machine. */

const LOCALE = "en-GB";
const currencies = new Map<string, Intl.NumberFormat>();

/** `1234` cents -> "€12.34". */
export function formatPrice(cents: number, currency = "EUR"): string {
  let format = currencies.get(currency);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE, { style: "currency", currency });
    currencies.set(currency, format);
  }
  return format.format(cents / 100);
}

/** A number with at most `digits` decimals and thousands separators. */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString(LOCALE, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** A ratio 0..1 as a percentage, or "–" when there is nothing to divide. */
export function formatPercent(ratio: number | null, digits = 1): string {
  return ratio === null || !Number.isFinite(ratio) ? "–" : `${(ratio * 100).toFixed(digits)} %`;
}

/** Seconds as the most readable unit: "850 µs", "12.3 ms", "1.50 s". */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  if (seconds < 0.001) return `${Math.round(seconds * 1e6)} µs`;
  if (seconds < 1) return `${(seconds * 1000).toFixed(1)} ms`;
  return `${seconds.toFixed(2)} s`;
}

/** "post_processing" -> "Post-processing". */
export function statusLabel(status: string): string {
  const words = status.replaceAll("_", "-");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A bounding box's size in mm: "20 × 30.5 × 4 mm". */
export function formatSize(size: readonly number[]): string {
  return `${size.map((v) => formatNumber(v, 1)).join(" × ")} mm`;
}

/** An ISO time as a short local date and time. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(LOCALE, { dateStyle: "medium", timeStyle: "medium" });
}
