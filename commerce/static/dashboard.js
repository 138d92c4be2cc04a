// The cluster's export dashboard: headline figures and bar charts drawn as SVG from the dashboard API.
(function () {
  "use strict";

  const { $, api, download, element, language, say, session, text } = window.Commerce;
  const svgNamespace = "http://www.w3.org/2000/svg";
  let me = null;
  let latest = 0; // only the answer to the latest request is shown

  function svg(tag, attributes, content) {
    const node = document.createElementNS(svgNamespace, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (content !== undefined) node.textContent = content;
    return node;
  }

  // Vertical bars, one per month, labels under them and amounts on hover.
  function columns(bars) {
    const width = 1100, height = 240, bottom = 40, top = 16;
    const most = Math.max(...bars.map((bar) => Number(bar.value)), 0);
    const step = width / Math.max(bars.length, 1);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
    bars.forEach((bar, index) => {
      const size = most > 0 ? (Number(bar.value) / most) * (height - bottom - top) : 0;
      const x = index * step + step * 0.15;
      const rect = svg("rect", {
        class: "bar", x, y: height - bottom - size, width: step * 0.7, height: Math.max(size, 0),
        "data-key": bar.key, "data-value": bar.value,
      });
      rect.appendChild(svg("title", {}, `${bar.label}: ${bar.text}`));
      chart.appendChild(rect);
      chart.appendChild(svg("text", { class: "label", x: x + step * 0.35, y: height - bottom + 16, "text-anchor": "middle" }, bar.label));
    });
    return chart;
  }

  // Horizontal bars, largest first, the label on the left and the amount on the right.
  function rows(bars) {
    const width = 460, line = 26, labelWidth = 150, amountWidth = 120;
    const most = Math.max(...bars.map((bar) => Number(bar.value)), 0);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${Math.max(bars.length, 1) * line + 4}`, role: "img" });
    bars.forEach((bar, index) => {
      const y = index * line + 4;
      const size = most > 0 ? (Number(bar.value) / most) * (width - labelWidth - amountWidth) : 0;
      chart.appendChild(svg("text", { class: "label", x: 0, y: y + 15 }, bar.label));
      const rect = svg("rect", {
        class: "bar", x: labelWidth, y, width: Math.max(size, 1), height: line - 8,
        "data-key": bar.key === null ? "" : bar.key, "data-value": bar.value,
      });
      rect.appendChild(svg("title", {}, `${bar.label}: ${bar.text}`));
      chart.appendChild(rect);
      chart.appendChild(svg("text", { class: "amount", x: width, y: y + 15, "text-anchor": "end" }, bar.text));
    });
    return chart;
  }

  function draw(name, bars, shape) {
    const figure = $("#chart-" + name);
    figure.querySelectorAll("svg, p").forEach((node) => node.remove());
    if (!bars.some((bar) => Number(bar.value) > 0)) {
      figure.appendChild(element("p", { className: "note", textContent: text.nothing }));
      return;
    }
    figure.appendChild(shape(bars));
  }

  function range() {
    const form = new FormData($("#range-form"));
    return { from: form.get("from"), to: form.get("to") };
  }

  async function show() {
    say("");
    const { from, to } = range();
    const query = from && to ? `?from=${from}&to=${to}` : "";
    const mine = ++latest;
    try {
      const board = await api("GET", "/reports/dashboard" + query);
      if (mine !== latest) return;
      const fields = $("#range-form").elements;
      if (!fields.from.value) fields.from.value = board.from;
      if (!fields.to.value) fields.to.value = board.to;
      $("#range").textContent = board.range_text;
      for (const [name, figure] of Object.entries(board.headline)) $("#" + name).textContent = figure.text;
      const freshness = [];
      if (board.refreshed_at) freshness.push(`${text.refreshed_at} ${board.refreshed_at.text}`);
      if (board.stale_periods.length) freshness.push(`${text.not_built} ${board.stale_periods.join(", ")}`);
      $("#freshness").textContent = freshness.join(" · ");
      draw("month", board.charts.month, columns);
      for (const name of ["country", "hs_chapter", "enterprise"]) draw(name, board.charts[name], rows);
    } catch (error) {
      say(error.message);
    }
  }

  function reportPath(format) {
    const { from, to } = range();
    return `/reports/exports?group_by=month,country,hs_chapter,enterprise&from=${from}&to=${to}&format=${format}`;
  }

  $("#range-form").addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
  $("#download-csv").addEventListener("click", () => download(reportPath("csv"), "exports.csv").catch((error) => say(error.message)));
  $("#download-xlsx").addEventListener("click", () => download(reportPath("xlsx"), "exports.xlsx").catch((error) => say(error.message)));
  $("#rebuild").addEventListener("click", async () => {
    try {
      const { from, to } = range();
      await api("POST", "/reports/exports/refresh", { from, to });
      await show();
    } catch (error) {
      say(error.message);
    }
  });

  session({
    onStart: async () => {
      me = await api("GET", "/users/me").catch(() => null);
      $("#rebuild").hidden = !(me && (me.role === "trade_operator" || me.role === "admin"));
      await show();
    },
  });
})();
