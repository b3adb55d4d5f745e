import { formatNumber, formatPrice } from "../lib/format.ts";
import {
  clampOption,
  modelFormatOf,
  QUOTE_DEFAULTS,
  QUOTE_LIMITS,
  QUOTE_MATERIALS,
  quoteQuery,
} from "../lib/quote-options.ts";
import type { Quote } from "../lib/types.ts";
import { api, messageOf } from "../ui/api.ts";
import { fill, h } from "../ui/dom.ts";
import { statusLine } from "../ui/live-region.ts";
import { mountModel } from "../ui/model-slot.ts";
import type { PageContext } from "./context.ts";
import { measurementList } from "./measurements.ts";

/**
 * Instant quote: a dropped or chosen STL/OBJ/3MF file, priced in every material. The prices are the
 * API's (one quote per material, one at a time: uploads are limited per client in concurrency); the
 * preview is drawn here from the local file, as no route renders an upload's preview.
 */
export function renderQuote({ view, signal }: PageContext): void {
  const error = statusLine("quote-error", "status");
  const progress = statusLine("quote-status");
  const input = h("input", { id: "quote-file", type: "file", accept: ".stl,.obj,.3mf", "data-testid": "quote-file" });
  const infill = numberField("quote-infill", "Infill (0–1)", QUOTE_DEFAULTS.infill, QUOTE_LIMITS.infill, 0.05);
  const layer = numberField(
    "quote-layer",
    "Layer height (mm)",
    QUOTE_DEFAULTS.layerHeightMm,
    QUOTE_LIMITS.layerHeightMm,
    0.05,
  );
  const quantity = numberField("quote-quantity", "Quantity", QUOTE_DEFAULTS.quantity, QUOTE_LIMITS.quantity, 1);
  const results = h("div", { class: "quote-results", "data-testid": "quote-results" });
  const stage = h("div", { class: "model-stage", "data-testid": "quote-preview" });
  let file: File | null = null;
  let run: AbortController | null = null;
  let disposeView = () => {};
  signal.addEventListener(
    "abort",
    () => {
      run?.abort();
      disposeView();
    },
    { once: true },
  );

  const quoteAll = async () => {
    if (!file) return;
    run?.abort();
    run = new AbortController();
    const mine = run;
    error.say("");
    const params = { infill: infill.read(), layerHeight: layer.read(), quantity: Math.round(quantity.read()) };
    const rows = QUOTE_MATERIALS.map((m) => ({ material: m, row: pendingRow(m) }));
    const table = h(
      "table",
      { class: "quote-table" },
      h("caption", {}, `Prices for ${formatNumber(params.quantity)} × ${file.name}`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Material", "Total", "Per part", "Mass", "Print time"].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((r) => r.row),
      ),
    );
    fill(results, table);
    for (const [i, { material, row }] of rows.entries()) {
      progress.say(`Pricing ${material} (${i + 1} of ${rows.length})…`);
      try {
        const quote = await api<Quote>(`/quotes?${quoteQuery({ material, ...params })}`, {
          method: "POST",
          body: file,
          signal: mine.signal,
        });
        fillRow(row, material, quote);
        if (i === 0)
          results.prepend(h("h2", {}, "Measurements"), measurementList(quote.measurements, "quote-measurements"));
      } catch (err) {
        if (mine.signal.aborted) return;
        fill(results, h("p", {}, "No price."));
        progress.say("");
        // A refused file (too large, unreadable) is refused in every material: one message, no more uploads.
        return error.say(messageOf(err), "error");
      }
    }
    progress.say(`Priced in ${rows.length} materials.`, "ok");
  };

  const choose = async (chosen: File) => {
    error.say("");
    fill(results);
    const format = modelFormatOf(chosen.name);
    if (!format) return error.say("Choose an STL, OBJ or 3MF file.", "error");
    file = chosen;
    disposeView();
    disposeView = await mountModel(stage, async () => ({ bytes: await chosen.arrayBuffer(), format }), null);
    await quoteAll();
  };

  input.addEventListener("change", () => {
    const chosen = input.files?.[0];
    if (chosen) void choose(chosen);
  });
  const drop = h(
    "div",
    { class: "drop-zone", "data-testid": "quote-drop" },
    h("p", {}, "Drop an STL, OBJ or 3MF file here, or"),
    h("label", { for: "quote-file", class: "button" }, "Choose a file"),
    input,
  );
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const chosen = e.dataTransfer?.files[0];
    if (chosen) void choose(chosen);
  });

  fill(
    view,
    h("h1", {}, "Instant quote"),
    drop,
    h(
      "form",
      {
        class: "filters",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void quoteAll();
        },
      },
      infill.el,
      layer.el,
      quantity.el,
      h("button", { type: "submit", "data-testid": "quote-again" }, "Update prices"),
    ),
    error.el,
    progress.el,
    h("div", { class: "quote-layout" }, stage, results),
  );
}

function pendingRow(material: string) {
  return h(
    "tr",
    { "data-testid": `quote-row-${material}` },
    h("th", { scope: "row" }, material),
    h("td", { colspan: 4 }, "…"),
  );
}

function fillRow(row: HTMLElement, material: string, { quote }: Quote) {
  fill(
    row,
    h("th", { scope: "row" }, material),
    h("td", { "data-testid": `quote-total-${material}` }, formatPrice(quote.totalCents, quote.currency)),
    h("td", {}, formatPrice(quote.unitPriceCents, quote.currency)),
    h("td", {}, `${formatNumber(quote.massGrams, 1)} g`),
    h("td", {}, `${formatNumber(quote.printTimeHours, 2)} h`),
  );
}

function numberField(id: string, label: string, value: number, limits: readonly [number, number], step: number) {
  const input = h("input", { id, type: "number", value, min: limits[0], max: limits[1], step, inputmode: "decimal" });
  return {
    el: h("div", { class: "field" }, h("label", { for: id }, label), input),
    read: () => clampOption(Number(input.value), limits, value),
  };
}
