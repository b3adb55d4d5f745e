import { formatNumber, formatPercent, formatSeconds } from "../lib/format.ts";
import type { Reading } from "../lib/ops-stats.ts";
import { formatNines } from "../lib/rates.ts";
import { appendPoint, type Point } from "../lib/series.ts";
import { fill, h } from "../ui/dom.ts";
import { lineChart } from "./chart.ts";

const rateText = (v: number | null) => (v === null ? "–" : formatNumber(v, 1));

/** One service's numbers and charts; `show` takes each poll's reading. */
export function servicePanel(origin: string) {
  const title = h("h2", {}, origin);
  const error = h("p", { class: "status", role: "alert", hidden: true, "data-testid": "ops-error" });
  const number = (testId: string) => h("span", { class: "number", "data-testid": testId }, "–");
  const n = {
    dbQps: number("db-qps"),
    s3Rps: number("s3-rps"),
    share: number("cache-share"),
    rps: number("http-rps"),
    p50: number("p50"),
    p99: number("p99"),
    pending: number("outbox-pending"),
    lag: number("outbox-lag"),
    redis: number("redis-kind"),
    breaker: number("breaker-state"),
    bus: number("bus-state"),
  };
  const charts = {
    dbQps: lineChart("chart-db-qps", "Database queries per second, last 5 minutes"),
    s3Rps: lineChart("chart-s3-rps", "Object store requests per second, last 5 minutes"),
    p99: lineChart("chart-p99", "p99 latency, last 5 minutes"),
    share: lineChart("chart-cache-share", "Cache share of reads, last 5 minutes"),
  };
  const series: Record<keyof typeof charts, Point[]> = { dbQps: [], s3Rps: [], p99: [], share: [] };
  const caches = h("tbody", {});
  const tile = (label: string, value: HTMLElement, chart?: HTMLElement) =>
    h("div", { class: "tile" }, h("span", { class: "label" }, label), value, chart ?? null);

  const el = h(
    "section",
    { class: "service", "aria-live": "off" },
    title,
    error,
    h(
      "div",
      { class: "tiles" },
      tile("DB queries/s", n.dbQps, charts.dbQps.el),
      tile("S3 requests/s", n.s3Rps, charts.s3Rps.el),
      tile("Cache share of reads", n.share, charts.share.el),
      tile("p99 latency", n.p99, charts.p99.el),
      tile("p50 latency", n.p50),
      tile("Requests/s", n.rps),
      tile("Outbox pending", n.pending),
      tile("Outbox lag", n.lag),
      tile("Redis", n.redis),
      tile("Breaker", n.breaker),
      tile("Bus", n.bus),
    ),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "caches", "data-testid": "cache-table" },
        h("caption", {}, "Caches (since the process started)"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Cache", "Hit ratio", "Hits/s", "Loads", "Invalidations", "Stale serves", "Consistency"].map((t) =>
              h("th", { scope: "col" }, t),
            ),
          ),
        ),
        caches,
      ),
    ),
  );

  return {
    el,
    show(r: Reading) {
      title.textContent = `${r.service} — ${origin}`;
      error.hidden = true;
      n.dbQps.textContent = rateText(r.dbQps);
      n.s3Rps.textContent = rateText(r.s3Rps);
      n.share.textContent = formatPercent(r.cacheShare);
      n.rps.textContent = rateText(r.requestsPerSec);
      n.p50.textContent = formatSeconds(r.p50);
      n.p99.textContent = formatSeconds(r.p99);
      n.pending.textContent = formatNumber(r.outboxPending);
      n.lag.textContent = formatSeconds(r.outboxLag);
      n.redis.textContent = r.redis.kind;
      n.breaker.textContent = r.redis.breaker ?? "–";
      n.bus.textContent = r.redis.bus ?? "–";
      n.breaker.dataset.state = r.redis.breaker ?? "";
      n.bus.dataset.state = r.redis.bus ?? "";
      const values = { dbQps: r.dbQps, s3Rps: r.s3Rps, p99: r.p99, share: r.cacheShare };
      for (const key of Object.keys(charts) as Array<keyof typeof charts>) {
        series[key] = appendPoint(series[key], { t: r.atMs, v: values[key] });
      }
      charts.dbQps.draw(series.dbQps, r.atMs, (v) => formatNumber(v, 1));
      charts.s3Rps.draw(series.s3Rps, r.atMs, (v) => formatNumber(v, 1));
      charts.share.draw(series.share, r.atMs, (v) => formatPercent(v));
      charts.p99.draw(series.p99, r.atMs, formatSeconds);
      fill(
        caches,
        r.caches.map((c) =>
          h(
            "tr",
            { "data-testid": `cache-${c.name}` },
            h("th", { scope: "row" }, c.name),
            h("td", { "data-testid": `hit-ratio-${c.name}` }, formatPercent(c.hitRatio)),
            h("td", {}, rateText(c.hitsPerSec)),
            h("td", { "data-testid": `loads-${c.name}` }, formatNumber(c.loads)),
            h("td", { "data-testid": `invalidations-${c.name}` }, formatNumber(c.invalidations)),
            h("td", { "data-testid": `stale-${c.name}` }, formatNumber(c.stale)),
            h("td", { "data-testid": `nines-${c.name}` }, formatNines(c.nines)),
          ),
        ),
      );
    },
    fail(text: string) {
      error.hidden = false;
      error.textContent = text;
    },
  };
}
