import { randomBytes } from "node:crypto";
import { answerFor, MAX_PROBE_NAMES } from "./audit-core.ts";
import { decodeEntry, entryCurrent } from "./entry.ts";
import type { BusMessage } from "./l2-driver.ts";
import type { L2Tier } from "./l2-tier.ts";
import type { LocalTier } from "./local-tier.ts";

/** What a write check found of one name (a key or a tag) of the invalidation it sampled. */
export interface NameFinding {
  name: string;
  kind: "key" | "tag";
  /**
   * An old copy in L2: its age and the write's when it was read (ms). Keys only: a tag's entries are fenced
   * by its version.
   */
  l2?: { ageMs: number; writeAgeMs: number };
  /**
   * Processes (this one included) whose L1 held a copy from before the write, the longest held (ms), and the
   * write's age when that answer came.
   */
  l1: { instances: number; heldMs: number; writeAgeMs: number };
}

export interface WriteCheckDeps {
  id: string;
  local: LocalTier;
  l2: L2Tier;
  now: () => number;
  /** Whether the bus and the breaker let the check judge: probes delivered, answers heard, L2 read. */
  judging: () => boolean;
  sleep: (ms: number) => Promise<void>;
  boundMs: number;
  answerWaitMs: number;
  clockSkewMs: number;
}

interface Collector {
  writtenAt: number;
  found: Map<string, NameFinding>;
}

/**
 * The check after a write: once the bus bound has passed since the invalidation, an entry older than the
 * write may no longer be served anywhere. L2 is read as a lookup reads it (current generation and tag
 * versions, still fresh), and every process is asked over the bus what its L1 holds of the names.
 *
 * An L1 copy is judged by how long it has been held, measured by the process holding it: held longer than
 * the time from the write to the arrival of the answer means it was there before the write (the holder's
 * clock runs at the same rate; no clock needs to agree with another). An L2 entry is judged by when its
 * load began (`bornAt - loadMs`, the loading process's clock), against the write, `clockSkewMs` allowed.
 */
export class WriteCheck {
  readonly #collectors = new Map<string, Collector>();

  constructor(private readonly d: WriteCheckDeps) {}

  /** The findings for each name, or undefined when the bus or the breaker did not allow a verdict. */
  async run(keys: readonly string[], tags: readonly string[], writtenAt: number): Promise<NameFinding[] | undefined> {
    const { d } = this;
    const ks = keys.slice(0, MAX_PROBE_NAMES);
    const ts = tags.slice(0, MAX_PROBE_NAMES);
    await d.sleep(Math.max(0, writtenAt + d.boundMs - d.now()));
    if (!d.judging()) return undefined;
    const found = new Map<string, NameFinding>();
    const none = () => ({ instances: 0, heldMs: 0, writeAgeMs: 0 });
    for (const name of ks) found.set(`k:${name}`, { name, kind: "key", l1: none() });
    for (const name of ts) found.set(`t:${name}`, { name, kind: "tag", l1: none() });
    const id = randomBytes(8).toString("hex");
    this.#collectors.set(id, { writtenAt, found });
    try {
      const sinceWriteMs = d.now() - writtenAt;
      await d.l2.publish({ from: d.id, probe: { id, keys: ks, tags: ts, sinceWriteMs } });
      const held = d.local.heldFor(ks, ts, d.now());
      this.#note(found, held.keys, held.tags, d.now() - writtenAt);
      await Promise.all(ks.map((k) => this.#readL2(k, writtenAt, found)));
      await d.sleep(d.answerWaitMs);
      return d.judging() ? [...found.values()] : undefined;
    } finally {
      this.#collectors.delete(id);
    }
  }

  /** An answer to one of this process's probes: judged on arrival, against the time since the write. */
  answered(m: BusMessage): void {
    const a = answerFor(m, this.d.id);
    const c = a && this.#collectors.get(a.id);
    if (!a || !c) return;
    this.#note(c.found, new Map(a.keys), new Map(a.tags), this.d.now() - c.writtenAt);
  }

  #note(found: Map<string, NameFinding>, keys: Map<string, number>, tags: Map<string, number>, sinceWrite: number) {
    const add = (id: string, ms: number) => {
      const f = found.get(id);
      if (!f || ms <= sinceWrite) return;
      f.l1.instances++;
      if (ms <= f.l1.heldMs) return;
      f.l1.heldMs = ms;
      f.l1.writeAgeMs = sinceWrite;
    };
    for (const [k, ms] of keys) add(`k:${k}`, ms);
    for (const [t, ms] of tags) add(`t:${t}`, ms);
  }

  /** The key's entry as a lookup would serve it: an old one is a finding. */
  async #readL2(k: string, writtenAt: number, found: Map<string, NameFinding>) {
    const { l2, now, clockSkewMs } = this.d;
    const read = await l2.read(k, []);
    const decoded = read?.payload ? decodeEntry(read.payload) : null;
    if (!read || !decoded) return;
    const { meta } = decoded;
    const tagVersions = meta.tags.length > 0 ? await l2.readTagVersions(meta.tags) : [];
    if (!tagVersions || !entryCurrent(meta, read.generation, tagVersions) || now() >= meta.freshUntil) return;
    // An entry of an earlier release has no birth to judge by (during a rolling deploy): not a finding.
    if (meta.bornAt === undefined || meta.bornAt - meta.loadMs >= writtenAt - clockSkewMs) return;
    const f = found.get(`k:${k}`);
    if (f) f.l2 = { ageMs: now() - meta.bornAt, writeAgeMs: now() - writtenAt };
  }
}
