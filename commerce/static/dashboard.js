// The cluster's export dashboard: headline figures and bar charts, drawn in HTML from the dashboard API.
(function () {
  "use strict";

  const { $, api, count, download, element, formatMoney, language, say, session, text } = window.Commerce;
  let me = null;
  let latest = 0; // only the answer to the latest request is shown

  const compact = new Intl.NumberFormat(language, { notation: "compact", maximumFractionDigits: 1 });

  function share(value, most) {
    return most > 0 ? Math.max((Number(value) / most) * 100, Number(value) > 0 ? 1 : 0) : 0;
  }

  // Columns, one per month, each with its value above (compact; the full amount on hover) and its month below.
  // Drawn in HTML so their text keeps its size at every width.
  function columns(bars) {
    const most = Math.max(...bars.map((bar) => Number(bar.value)), 0);
    const chart = element("div", { className: "columns" });
    for (const bar of bars) {
      const column = element("div", { className: "column", title: `${bar.label}: ${bar.text}` },
        element("span", { className: "amount", textContent: Number(bar.value) > 0 ? compact.format(Number(bar.value)) : "0" }),
        element("span", { className: "track" }, element("span", { className: "bar", dataset: { key: bar.key, value: bar.value } })),
        element("span", { className: "label", textContent: bar.label }));
      column.querySelector(".bar").style.height = share(bar.value, most) + "%";
      chart.append(column);
    }
    return chart;
  }

  // Rows, largest first: the name (cut short with the whole name on hover), the bar, the amount.
  function rows(bars) {
    const most = Math.max(...bars.map((bar) => Number(bar.value)), 0);
    return element("ol", { className: "rows" }, ...bars.map((bar) => {
      const row = element("li", { title: `${bar.label}: ${bar.text}` },
        element("span", { className: "label", textContent: bar.label }),
        element("span", { className: "track" }, element("span", { className: "bar", dataset: { key: bar.key === null ? "" : bar.key, value: bar.value } })),
        element("span", { className: "amount", textContent: bar.text }));
      row.querySelector(".bar").style.width = share(bar.value, most) + "%";
      return row;
    }));
  }

  function draw(name, bars, shape) {
    const figure = $("#chart-" + name);
    figure.querySelectorAll(".columns, .rows, p").forEach((node) => node.remove());
    if (!bars.some((bar) => Number(bar.value) > 0)) {
      figure.appendChild(element("p", { className: "note", textContent: text.nothing }));
      return;
    }
    figure.appendChild(shape(bars));
  }

  const rate = new Intl.NumberFormat(language, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });

  // Gross and net of the range per firm, with the total of each currency last, and per host (their streams' orders).
  async function showSales(from, to) {
    const sales = await api("GET", `/reports/sales?from=${from}&to=${to}`);
    const totals = sales.totals.map((total) => ({ ...total, name: text.total }));
    for (const part of ["firms", "hosts"]) {
      const rows = part === "firms" ? [...sales.firms, ...totals] : sales.hosts;
      $(`#sales-${part} tbody`).replaceChildren(...rows.map((row) => element("tr", { dataset: { key: row.key === null ? "total" : row.key, currency: row.currency } },
        element("td", { className: "name", textContent: row.name }),
        element("td", { className: "number orders", textContent: count.format(row.orders) }),
        ...["gross", "refunds", "net"].map((name) => element("td", { className: "number " + name, textContent: formatMoney(row[name]) })),
        element("td", { className: "number refund-rate", textContent: rate.format(Number(row.refund_rate)) }))));
    }
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
      await showSales(board.from, board.to);
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
