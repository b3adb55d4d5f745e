/** A PrusaSlicer configuration: `key = value` lines (values may hold `\n` escapes, never real newlines). */
export type Ini = ReadonlyMap<string, string>;

const LINE = /^([a-z0-9_]+)\s*=\s?(.*)$/;

/** Parses a configuration file's text; comments (`#`, `;`) and blank lines are skipped, a later key wins. */
export function parseIni(text: string, source: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const m = LINE.exec(line);
    if (!m?.[1]) throw new Error(`${source}:${i + 1}: not a 'key = value' line`);
    out.set(m[1], m[2] ?? "");
  });
  return out;
}

/** The text of a configuration: sorted keys, so that equal settings always give equal bytes (and hashes). */
export function formatIni(header: string, ini: Ini): string {
  const keys = [...ini.keys()].sort();
  return `# ${header}\n${keys.map((k) => `${k} = ${ini.get(k)}`).join("\n")}\n`;
}
