import { Agent, request } from "undici";
import { percentile } from "../stats.ts";

export interface Phase {
  name: string;
  /** Closed loop: this many connections, each sending its next request when the last one answered. */
  connections: number;
  /**
   * Open loop instead: this many requests per second, sent on schedule whatever the answers do (so a
   * slow system faces the same arrivals; latency counts from the scheduled time).
   */
  rate?: number;
  /** Runs until this much time has passed... */
  durationMs?: number;
  /** ...or until each connection sent this many requests. */
  requestsPerConnection?: number;
}

export interface Call {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sees the answer (after it arrived); used to detect stale reads. */
  check?: (status: number, body: Buffer, startedAt: number) => void;
}

export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  phases: Array<{ name: string; requests: number; rps: number; p50: number; p99: number }>;
  /** Per second: requests and p99 latency (ms). */
  series: Array<{ second: number; rps: number; p99: number }>;
}

/** A closed-loop load generator: `connections` loops, each sending its next call as soon as the last answered. */
export async function runLoad(next: () => Call, phases: Phase[]): Promise<LoadResult> {
  const dispatcher = new Agent({ connections: 2048, pipelining: 1, keepAliveTimeout: 30_000 });
  const started = performance.now();
  const samples: Array<{ t: number; ms: number; phase: number }> = [];
  let errors = 0;
  let non2xx = 0;
  const phaseStats: LoadResult["phases"] = [];
  for (let p = 0; p < phases.length; p++) {
    const phase = phases[p] as Phase;
    const phaseStart = performance.now();
    const end = phase.durationMs ? phaseStart + phase.durationMs : Number.POSITIVE_INFINITY;
    const before = samples.length;
    const send = async (call: Call, t0: number) => {
      try {
        const res = await request(call.url, {
          method: call.method ?? "GET",
          headers: call.headers,
          body: call.body,
          dispatcher,
        });
        const body = Buffer.from(await res.body.arrayBuffer());
        if (res.statusCode >= 300 && res.statusCode !== 304) non2xx++;
        call.check?.(res.statusCode, body, t0);
        samples.push({ t: t0 - started, ms: performance.now() - t0, phase: p });
      } catch {
        errors++;
      }
    };
    if (phase.rate) {
      const inFlight = new Set<Promise<void>>();
      const tickMs = 2;
      for (let due = phaseStart; due < end; due += tickMs) {
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const batch =
          Math.round((phase.rate * (due + tickMs - phaseStart)) / 1000) -
          Math.round((phase.rate * (due - phaseStart)) / 1000);
        for (let k = 0; k < batch; k++) {
          const call = next();
          const promise = send(call, due).finally(() => inFlight.delete(promise));
          inFlight.add(promise);
        }
      }
      await Promise.all(inFlight);
    } else
      await Promise.all(
        Array.from({ length: phase.connections }, async () => {
          for (
            let i = 0;
            performance.now() < end && (phase.requestsPerConnection === undefined || i < phase.requestsPerConnection);
            i++
          ) {
            await send(next(), performance.now());
          }
        }),
      );
    const phaseSamples = samples
      .slice(before)
      .map((s) => s.ms)
      .sort((a, b) => a - b);
    const seconds = (performance.now() - phaseStart) / 1000;
    phaseStats.push({
      name: phase.name,
      requests: phaseSamples.length,
      rps: Math.round(phaseSamples.length / seconds),
      p50: round(percentile(phaseSamples, 50)),
      p99: round(percentile(phaseSamples, 99)),
    });
  }
  await dispatcher.close();
  const elapsed = (performance.now() - started) / 1000;
  const all = samples.map((s) => s.ms).sort((a, b) => a - b);
  const bySecond = new Map<number, number[]>();
  for (const s of samples) {
    const k = Math.floor(s.t / 1000);
    let list = bySecond.get(k);
    if (!list) {
      list = [];
      bySecond.set(k, list);
    }
    list.push(s.ms);
  }
  return {
    requests: samples.length,
    errors,
    non2xx,
    rps: Math.round(samples.length / elapsed),
    p50: round(percentile(all, 50)),
    p99: round(percentile(all, 99)),
    p999: round(percentile(all, 99.9)),
    phases: phaseStats,
    series: [...bySecond.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([second, list]) => ({
        second,
        rps: list.length,
        p99: round(
          percentile(
            list.sort((a, b) => a - b),
            99,
          ),
        ),
      })),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
