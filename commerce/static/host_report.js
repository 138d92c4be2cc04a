// The post-show report: totals, then per item and per firm orders, units, GMV, refunds, net and the
// refund rate, and what each flash sale sold.
(function () {
  "use strict";

  const { $, api, badge, cell, count, element, formatDateTime, formatMoney, language, say, session, text } = window.Commerce;
  const streamId = document.body.dataset.streamId;

  const percent = new Intl.NumberFormat(language, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 2 });

  function figures(row) {
    return [
      cell(count.format(row.orders), "number orders"), cell(count.format(row.units), "number units"),
      cell(formatMoney(row.gmv), "number gmv"), cell(formatMoney(row.refunds), "number refunds"),
      cell(formatMoney(row.net), "number net"), cell(percent.format(Number(row.refund_rate)), "number refund-rate"),
      cell(count.format(row.refused_orders), "number refused"),
    ];
  }

  async function show() {
    try {
      const [stream, report] = await Promise.all([api("GET", `/streams/${streamId}`), api("GET", `/streams/${streamId}/report`)]);
      $("#stream-title").textContent = stream.title;
      $("#stream-status").replaceWith(Object.assign(badge(stream.status), { id: "stream-status" }));
      $("#when").textContent = `${text.started_at}: ${formatDateTime(report.started_at) || "—"} · ${text.ended_at}: ${formatDateTime(report.ended_at) || "—"}`;
      $("#total-orders").textContent = count.format(report.totals.orders);
      $("#total-units").textContent = count.format(report.totals.units);
      $("#total-gmv").textContent = formatMoney(report.totals.gmv);
      $("#total-refunds").textContent = formatMoney(report.totals.refunds);
      $("#total-net").textContent = formatMoney(report.totals.net);
      $("#total-refund-rate").textContent = percent.format(Number(report.totals.refund_rate));
      $("#total-refused").textContent = count.format(report.totals.refused_orders);
      const names = new Map(report.firms.map((firm) => [firm.enterprise_id, firm.name]));
      $("#items tbody").replaceChildren(...report.items.map((item) =>
        element("tr", { dataset: { itemId: item.item_id } }, cell(item.position || "—"), cell(item.title, "title"), cell(names.get(item.enterprise_id) || ""), ...figures(item))));
      $("#firms tbody").replaceChildren(...report.firms.map((firm) =>
        element("tr", { dataset: { enterpriseId: firm.enterprise_id } }, cell(firm.name, "title"), ...figures(firm))));
      const titles = new Map(report.items.map((item) => [item.item_id, item.title]));
      $("#flash-sales").replaceChildren(...report.flash_sales.map((sale) =>
        element("li", { textContent: `${titles.get(sale.item_id) || sale.item_id} · ${formatMoney(sale.price)} · ${text.sold_of.replace("{sold}", count.format(sale.sold)).replace("{quantity}", count.format(sale.quantity))}` })));
    } catch (error) {
      say(error.message);
    }
  }

  session({ onStart: show });
})();
