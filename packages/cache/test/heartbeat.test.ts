import { describe, expect, it } from "vitest";
import { BusHeartbeat } from "../src/heartbeat.ts";
import { sleep, until } from "./support/caches.ts";

/** A heartbeat on a clock the test moves, whose beats the test delivers (or not). */
function rig(opts = { intervalMs: 100, deadlineMs: 400 }) {
  let t = 0;
  const sent: number[] = [];
  const changes: boolean[] = [];
  let resets = 0;
  let sendFails = false;
  const hb = new BusHeartbeat(opts, {
    clock: () => t,
    send: async (seq) => {
      if (sendFails) throw new Error("publish timed out");
      sent.push(seq);
    },
    onChange: (c) => changes.push(c),
    resetSubscriber: () => resets++,
  });
  return {
    hb,
    sent,
    changes,
    resets: () => resets,
    failSends: (f: boolean) => {
      sendFails = f;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("BusHeartbeat", () => {
  it("is confirmed only once a beat came back, and silent once none came back within the deadline", async () => {
    const r = rig();
    r.hb.joined(true);
    expect(r.hb.confirmed).toBe(false);
    r.hb.beat();
    await sleep(0);
    r.advance(5);
    r.hb.received(r.sent[0] as number);
    expect(r.hb.confirmed).toBe(true);
    // Beats keep leaving but none comes back: confirmed until the deadline after the last one that came
    // back was sent (at 0), not after it came back.
    for (let i = 0; i < 3; i++) {
      r.advance(100);
      r.hb.beat();
    }
    r.advance(95);
    expect(r.hb.confirmed).toBe(true);
    r.advance(1);
    expect(r.hb.confirmed).toBe(false);
    r.hb.check();
    expect(r.changes).toEqual([true, false]);
  });

  it("a beat coming back confirms every beat before it", async () => {
    const r = rig();
    r.hb.joined(true);
    r.hb.beat();
    r.advance(100);
    r.hb.beat();
    await sleep(0);
    r.hb.received(2);
    r.advance(399);
    expect(r.hb.confirmed).toBe(true);
    // Beat 1 arriving late changes nothing: beat 2, sent later, already came back.
    r.hb.received(1);
    r.advance(2);
    expect(r.hb.confirmed).toBe(false);
  });

  it("is silent at once when the subscription is lost", async () => {
    const r = rig();
    r.hb.joined(true);
    r.hb.beat();
    await sleep(0);
    r.hb.received(1);
    r.hb.joined(false);
    expect(r.hb.confirmed).toBe(false);
    expect(r.changes).toEqual([true, false]);
  });

  it("asks for a new subscriber when beats leave but do not come back, at most once per deadline", async () => {
    const r = rig();
    r.hb.joined(true);
    r.hb.beat();
    await sleep(0);
    r.hb.received(1);
    for (let i = 0; i < 12; i++) {
      r.advance(100);
      r.hb.beat();
      await sleep(0);
    }
    // Silent from 400 ms after the last beat that came back; resets at ~500 ms and ~900 ms after, not per beat.
    expect(r.resets()).toBe(2);
  });

  it("does not blame the subscriber when the beats cannot even be sent", async () => {
    const r = rig();
    r.hb.joined(true);
    r.failSends(true);
    for (let i = 0; i < 12; i++) {
      r.advance(100);
      r.hb.beat();
      await sleep(0);
    }
    expect(r.hb.confirmed).toBe(false);
    expect(r.resets()).toBe(0);
  });

  it("beats on its own every intervalMs once started, until stopped", async () => {
    const sent: number[] = [];
    const hb = new BusHeartbeat(
      { intervalMs: 10, deadlineMs: 100 },
      { send: async (s) => void sent.push(s), onChange: () => {}, resetSubscriber: () => {} },
    );
    hb.start();
    await until(() => sent.length >= 3, 2000, "three beats");
    hb.stop();
    const n = sent.length;
    await sleep(50);
    expect(sent.length).toBe(n);
  });

  it("refuses a deadline that a beat interval cannot meet", () => {
    const hooks = { send: async () => {}, onChange: () => {}, resetSubscriber: () => {} };
    expect(() => new BusHeartbeat({ intervalMs: 100, deadlineMs: 100 }, hooks)).toThrow(/deadlineMs/);
    expect(() => new BusHeartbeat({ intervalMs: 0, deadlineMs: 100 }, hooks)).toThrow(/intervalMs/);
  });
});
