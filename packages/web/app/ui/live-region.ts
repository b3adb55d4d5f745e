import { h } from "./dom.ts";

/**
 * A status line announced by screen readers (`aria-live`): page-level messages such as "loading", a
 * refusal, a lost connection. `role="alert"` for errors makes them interrupt, as errors should.
 */
export function statusLine(
  testId: string,
  className = "status",
): { el: HTMLElement; say(text: string, kind?: "info" | "error" | "ok"): void } {
  const el = h("p", { class: className, "aria-live": "polite", "data-testid": testId });
  return {
    el,
    say(text, kind = "info") {
      el.textContent = text;
      el.dataset.kind = kind;
      if (kind === "error") el.setAttribute("role", "alert");
      else el.removeAttribute("role");
    },
  };
}
