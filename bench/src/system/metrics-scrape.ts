/** Reads Prometheus text into `name{labels}` -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export async function scrape(url: string): Promise<Map<string, number>> {
  return parseMetrics(await (await fetch(`${url}/metrics`)).text());
}

/** Sum of the series whose name starts with `prefix` and whose labels contain every `filter`. */
export function sum(m: Map<string, number>, prefix: string, ...filters: string[]): number {
  let s = 0;
  for (const [k, v] of m) if (k.startsWith(prefix) && filters.every((f) => k.includes(f))) s += v;
  return s;
}
