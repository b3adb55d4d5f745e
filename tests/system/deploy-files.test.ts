import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { EnvSchema, loadConfig } from "@printfab/platform";
import { HAPROXY_CONFIG } from "@printfab/testkit";
import { describe, expect, it } from "vitest";

// deploy/: the systemd units, the settings they read and HAProxy's, held against what the code reads.
const root = fileURLToPath(new URL("../..", import.meta.url));
const deploy = (path: string) => join(root, "deploy", path);
const run = promisify(execFile);
const SERVICES = ["shop", "crm", "mes"] as const;
const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";

type Unit = Map<string, string[]>;

/** A unit file as `Section.Key` -> its values (EnvironmentFile= and Environment= may repeat). */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section = "";
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (!line || line.startsWith("#")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) section = header[1] as string;
    else {
      const i = line.indexOf("=");
      const key = `${section}.${line.slice(0, i)}`;
      unit.set(key, [...(unit.get(key) ?? []), line.slice(i + 1)]);
    }
  }
  return unit;
}

/** An env file's assignments (systemd's EnvironmentFile= and Debian's /etc/default files alike). */
function parseEnvFile(text: string): Record<string, string> {
  const lines = text.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** The names Printfab does not read: a renamed setting in the code leaves its old name here. */
const unknownKeys = (env: Record<string, string>) => Object.keys(env).filter((k) => !(k in EnvSchema.properties));

const unitOf = (service: string) => parseUnit(readFileSync(deploy(`systemd/printfab-${service}@.service`), "utf8"));

/** What a unit's instance on `port` runs with: its EnvironmentFile= examples, then its Environment=. */
/** An example env file as an operator leaves it: every change-me replaced, as the file says to. */
const edited = (text: string) => text.replaceAll("change-me", "s3cr3t-0f-th1s-deployment");

function unitEnv(unit: Unit, port: number, edit = edited): Record<string, string> {
  const files = (unit.get("Service.EnvironmentFile") ?? []).map((f) => {
    const example = deploy(`env/${f.replace("/etc/printfab/", "")}.example`);
    return parseEnvFile(edit(readFileSync(example, "utf8")));
  });
  const assignments = (unit.get("Service.Environment") ?? []).flatMap((v) => v.split(/\s+/));
  const own = parseEnvFile(assignments.join("\n").replaceAll("%i", String(port)));
  return Object.assign({}, ...files, own);
}

describe("the systemd units", () => {
  it.each(SERVICES)(
    "printfab-%s@ runs what `npm start` runs, as that one service on the instance's port",
    (service) => {
      const unit = unitOf(service);
      const start = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: { start: string } })
        .scripts.start;
      const [program, ...args] = (unit.get("Service.ExecStart")?.[0] ?? "").split(" ");
      expect(program).toBe("/usr/bin/node");
      expect(["node", ...args].join(" ")).toBe(start);
      expect(existsSync(join(root, args.at(-1) as string))).toBe(true);
      expect(unit.get("Service.EnvironmentFile")).toEqual([
        "/etc/printfab/printfab.env",
        `/etc/printfab/${service}.env`,
      ]);
      const config = loadConfig(unitEnv(unit, 3101));
      expect(config.service).toBe(service);
      expect(config.ports[service]).toBe(3101);
    },
  );

  it("refuse to start with the examples' placeholder secrets left in", () => {
    const unedited = () => loadConfig(unitEnv(unitOf("shop"), 3101, (text) => text));
    expect(unedited).toThrow(/AUTH_SECRET is a placeholder/);
    expect(unedited).toThrow(/ADMIN_TOKEN is a placeholder/);
  });

  it.each(SERVICES)("printfab-%s@ gives the drain its whole deadline before systemd kills", (service) => {
    const unit = unitOf(service);
    const config = loadConfig(unitEnv(unit, 3101));
    const stopSeconds = Number(/^(\d+)s$/.exec(unit.get("Service.TimeoutStopSec")?.[0] ?? "")?.[1]);
    expect(stopSeconds * 1000).toBeGreaterThan(config.shutdownTimeoutMs);
    expect(unit.get("Service.KillSignal")).toEqual(["SIGTERM"]);
    for (const hardening of ["DynamicUser", "NoNewPrivileges", "PrivateTmp"])
      expect(unit.get(`Service.${hardening}`)).toEqual(["yes"]);
    expect(unit.get("Service.ProtectSystem")).toEqual(["strict"]);
  });

  it.skipIf(!existsSync(SYSTEMD_ANALYZE))("pass systemd-analyze verify, and a bad key fails it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "printfab-units-"));
    try {
      const names = [...SERVICES.map((s) => `printfab-${s}@.service`), "printfab.target"];
      for (const name of names) await copyFile(deploy(`systemd/${name}`), join(dir, name));
      const verify = (units: string[]) =>
        run(SYSTEMD_ANALYZE, ["verify", ...units.map((u) => join(dir, u))]).then(
          ({ stderr }) => stderr,
          (err: { stderr: string }) => err.stderr || "failed",
        );
      expect(await verify([...SERVICES.map((s) => `printfab-${s}@3101.service`), "printfab.target"])).toBe("");
      // The fault: a misspelt directive, which systemd would ignore at start.
      const shop = readFileSync(deploy("systemd/printfab-shop@.service"), "utf8");
      await writeFile(join(dir, "printfab-shop@.service"), shop.replace("NoNewPrivileges", "NoNewPrivilege"));
      expect(await verify(["printfab-shop@3101.service"])).toMatch(/Unknown key 'NoNewPrivilege'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the env examples", () => {
  const examples = ["printfab", ...SERVICES].map((name) => [
    name,
    parseEnvFile(readFileSync(deploy(`env/${name}.env.example`), "utf8")),
  ]) as Array<[string, Record<string, string>]>;

  it.each(examples)("%s.env.example names only settings Printfab reads", (_, env) => {
    expect(unknownKeys(env)).toEqual([]);
  });

  it("a renamed setting is caught", () => {
    const env = Object.fromEntries(examples.flatMap(([, e]) => Object.entries(e)));
    expect(unknownKeys({ ...env, DATABASE_URI: env.DATABASE_URL as string })).toEqual(["DATABASE_URI"]);
  });

  it("the Shop and the CRM find MES at HAProxy's MES frontend, and HAProxy at the instances' ports", async () => {
    const haproxy = parseEnvFile(readFileSync(deploy("env/haproxy.env.example"), "utf8"));
    for (const service of ["shop", "crm"])
      expect(loadConfig(unitEnv(unitOf(service), 3101)).urls.mes).toBe(`http://${haproxy.PRINTFAB_MES_BIND}`);
    const { stdout } = await run("/usr/sbin/haproxy", ["-c", "-f", HAPROXY_CONFIG], { env: haproxy });
    expect(stdout).toMatch(/Configuration file is valid/);
  });
});
