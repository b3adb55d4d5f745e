import type { Attack } from "./attack.ts";
import { bytes, describeAnswer, seconds } from "./describe.ts";
import { send } from "./http-probe.ts";

const NINETY_MB = 94_371_840;
const CHUNK = Buffer.alloc(64 * 1024, 0x20);

/** `total` bytes in 64 KB pieces, as fast as the socket takes them. */
async function* filler(total: number): AsyncIterable<Uint8Array> {
  for (let sent = 0; sent < total; sent += CHUNK.length) {
    yield sent + CHUNK.length <= total ? CHUNK : CHUNK.subarray(0, total - sent);
  }
}

export const anonymousHugeUpload: Attack = {
  id: "5a",
  title: "anonymous 90 MB POST /models on the Shop (Content-Length first, then the body)",
  limitMs: 60_000,
  async run(ctx) {
    const a = await send({
      url: `${ctx.targets.shop}/models`,
      method: "POST",
      headers: { "content-type": "application/octet-stream", "content-length": NINETY_MB },
      stream: filler(NINETY_MB),
      localAddress: ctx.source("5a"),
      limitMs: this.limitMs,
    });
    return {
      answer: `${describeAnswer(a)} after ${seconds(a.ms)}, with ${bytes(a.bytesSent)} of ${bytes(NINETY_MB)} sent`,
      ms: a.ms,
    };
  },
};

export const anonymousBadAnalysis: Attack = {
  id: "5b",
  title: "anonymous POST /analyses on MES with a broken JSON body: 401 or 400?",
  limitMs: 15_000,
  async run(ctx) {
    const a = await send({
      url: `${ctx.targets.mes}/analyses`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"model": "cube", "faces": [1, 2,',
      localAddress: ctx.source("5b"),
      limitMs: this.limitMs,
    });
    return { answer: describeAnswer(a), ms: a.ms };
  },
};
