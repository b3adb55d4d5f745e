import "../styles/base.css";
import "../styles/ops.css";
import { ApiError } from "../lib/api-error.ts";
import type { OpsStats, Reading } from "../lib/ops-stats.ts";
import { readStats } from "../lib/ops-stats.ts";
import { api, messageOf } from "../ui/api.ts";
import { byId, fill, h } from "../ui/dom.ts";
import { startPage } from "../ui/page-shell.ts";
import { servicePanel } from "./service-panel.ts";

/**
 * The cache dashboard (/ops on each service): polls `GET /ops/stats` every second. `?services=` names other
 * services' origins to show on the same page (their CORS must allow it); by default, this service alone.
 */

const POLL_MS = 1000;
const view = byId("view");
const panels = h("div", { class: "services" });
fill(view, h("h1", {}, "Cache dashboard"), panels);

function origins(): string[] {
  const listed = new URLSearchParams(location.search).get("services");
  const valid = (listed ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => /^https?:\/\/[^/?#]+$/.test(s));
  return valid.length ? [...new Set(valid)] : [""];
}

function watch(base: string): void {
  const panel = servicePanel(base || location.origin);
  panels.append(panel.el);
  let previous: OpsStats | null = null;
  const poll = async () => {
    try {
      const stats = await api<OpsStats>("/ops/stats", base ? { base } : {});
      const reading: Reading = readStats(previous, stats);
      previous = stats;
      panel.show(reading);
    } catch (err) {
      const denied = err instanceof ApiError && (err.status === 401 || err.status === 403);
      panel.fail(denied ? "Sign in as an operator or a manager to see this service's statistics." : messageOf(err));
    } finally {
      setTimeout(poll, POLL_MS);
    }
  };
  void poll();
}

let started = false;
startPage(() => {
  if (started) return;
  started = true;
  for (const base of origins()) watch(base);
});
