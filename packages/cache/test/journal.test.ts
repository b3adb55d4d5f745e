import { describe, expect, it } from "vitest";
import { InvalidationJournal } from "../src/journal.ts";
import { KeySpace } from "../src/keys.ts";
import type { BusMessage, L2Driver } from "../src/l2-driver.ts";
import { createMemoryL2, MemoryL2Store } from "../src/memory-l2.ts";

/** A key's version, as a lease taker reads it (the lease expires at once). */
const versionOf = async (d: L2Driver, k: string) => (await d.acquireLease(k, "probe", 1)).version;

/** A key space on the in-process store whose tag bumps fail while `failTags` is set, and which records publishes. */
function rig(prefix = "j") {
  const store = new MemoryL2Store();
  const base = createMemoryL2(store, new KeySpace(prefix));
  const published: BusMessage[] = [];
  const state = { failTags: false, generationBumps: 0 };
  const driver: L2Driver = {
    ...base,
    bumpTags: async (tags) => {
      if (state.failTags) throw new Error("tags unreachable");
      await base.bumpTags(tags);
    },
    bumpGeneration: async () => {
      state.generationBumps++;
      await base.bumpGeneration();
    },
    publish: async (m) => void published.push(m),
  };
  return { driver, base, published, state };
}

describe("InvalidationJournal", () => {
  it("replays kept keys and tags, then publishes their evictions and forgets them", async () => {
    const { driver, base, published } = rig();
    const j = new InvalidationJournal({ maxPerKeySpace: 100, from: "tier" });
    j.remember(driver, { keys: ["a", "b"], tags: [] });
    j.remember(driver, { keys: ["b"], tags: ["t"] });
    expect(j.size).toBe(3);
    await j.replay();
    expect(j.empty).toBe(true);
    expect(await versionOf(base, "a")).toBe("1");
    expect((await base.readVersions(["t"])).tagVersions).toEqual([1]);
    expect(published).toEqual([{ from: "tier", keys: ["a", "b"], tags: ["t"] }]);
  });

  it("keeps a unit whole when part of its replay fails, and replays all of it again", async () => {
    const { driver, base, state } = rig();
    const j = new InvalidationJournal({ maxPerKeySpace: 100, from: "tier" });
    j.remember(driver, { keys: ["a"], tags: ["t"] });
    state.failTags = true;
    await expect(j.replay()).rejects.toThrow("tags unreachable");
    expect(j.size).toBe(2);
    state.failTags = false;
    await j.replay();
    expect(j.empty).toBe(true);
    // The key was invalidated twice (idempotent), the tag once.
    expect(await versionOf(base, "a")).toBe("2");
    expect((await base.readVersions(["t"])).tagVersions).toEqual([1]);
  });

  it("fences a key space that kept too much: one generation bump and an `all` eviction", async () => {
    const { driver, base, published, state } = rig();
    const j = new InvalidationJournal({ maxPerKeySpace: 2, from: "tier" });
    j.remember(driver, { keys: ["a", "b"], tags: [] });
    j.remember(driver, { keys: ["c"], tags: [] });
    j.remember(driver, { keys: ["d"], tags: ["t"] });
    expect(j.size).toBe(1);
    await j.replay();
    expect(state.generationBumps).toBe(1);
    expect((await base.read("x", [])).generation).toBe(1);
    expect(published).toEqual([{ from: "tier", all: true }]);
    expect(j.empty).toBe(true);
  });

  it("replays once at a time, and keeps what came in meanwhile for the next replay", async () => {
    const { driver, published } = rig();
    const j = new InvalidationJournal({ maxPerKeySpace: 100, from: "tier" });
    j.remember(driver, { keys: ["a"], tags: [] });
    const first = j.replay();
    expect(j.replay()).toBe(first);
    j.remember(driver, { keys: ["b"], tags: [] });
    await first;
    expect(j.size).toBe(1);
    await j.replay();
    expect(published.map((m) => m.keys)).toEqual([["a"], ["b"]]);
  });

  it("keeps a name remembered again while it replays: the replay of the older write cannot delete it", async () => {
    const { driver, published } = rig();
    const j = new InvalidationJournal({ maxPerKeySpace: 100, from: "tier" });
    j.remember(driver, { keys: ["a"], tags: ["products"] });
    const first = j.replay();
    // A second write of the same key and tag fails fast while the first replay is on its way.
    j.remember(driver, { keys: ["a"], tags: ["products"] });
    expect(j.empty).toBe(false);
    await first;
    expect(j.empty).toBe(false);
    await j.replay();
    expect(j.empty).toBe(true);
    expect(published).toHaveLength(2);
  });

  it("keeps a unit that arrives while a fenced key space replays", async () => {
    const { driver, state, published } = rig();
    const j = new InvalidationJournal({ maxPerKeySpace: 2, from: "tier" });
    j.remember(driver, { keys: ["a", "b", "c"], tags: [] });
    const fenced = j.replay();
    j.remember(driver, { keys: ["late"], tags: [] });
    await fenced;
    expect(state.generationBumps).toBe(1);
    await j.replay();
    expect(published.at(-1)).toEqual({ from: "tier", keys: ["late"], tags: [] });
  });

  it("reports itself busy while a replay is under way, so that nothing reads L2 before it lands", async () => {
    const { driver } = rig();
    const j = new InvalidationJournal({ maxPerKeySpace: 100, from: "tier" });
    j.remember(driver, { keys: ["a"], tags: [] });
    const replaying = j.replay();
    expect(j.empty).toBe(false);
    await replaying;
    expect(j.empty).toBe(true);
  });

  it("keeps key spaces apart", async () => {
    const one = rig("one");
    const two = rig("two");
    const j = new InvalidationJournal({ maxPerKeySpace: 1, from: "tier" });
    j.remember(one.driver, { keys: ["a", "b"], tags: [] });
    j.remember(two.driver, { keys: ["a"], tags: [] });
    await j.replay();
    expect(one.state.generationBumps).toBe(1);
    expect(two.state.generationBumps).toBe(0);
    expect(await versionOf(two.base, "a")).toBe("1");
  });
});
