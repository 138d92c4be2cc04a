// Export orders and the foreign currency received for each; a receipt recorded with the bank's reference.
(function () {
  "use strict";

  const { $, api, badge, cell, element, firmNames, formatMoney, say, session, text } = window.Commerce;
  let firms = new Map();
  let next = null;

  function receiptForm(order, received) {
    const form = element("form", { className: "inline receipt" },
      element("label", {}, text.amount, element("input", { name: "amount", inputMode: "decimal", pattern: "\\d+(\\.\\d{1,2})?", required: true, size: 8 })),
      element("label", {}, text.received_on, element("input", { name: "received_on", type: "date", required: true })),
      element("label", {}, text.reference, element("input", { name: "reference", required: true, maxLength: 60, size: 10 })),
      element("button", { type: "submit", className: "secondary", textContent: text.record }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      say("");
      try {
        await api("POST", "/rebates/proceeds", {
          order_id: order.id,
          amount: { amount: form.elements.amount.value.trim(), currency: order.currency },
          received_on: form.elements.received_on.value,
          reference: form.elements.reference.value.trim(),
        });
        const now = await api("GET", `/orders/${order.id}/proceeds`);
        received.replaceChildren(...receivedList(now.items));
        form.reset();
      } catch (error) {
        say(error.message);
      }
    });
    return form;
  }

  function receivedList(items) {
    return items.map((item) => element("div", { textContent: `${item.received_on} · ${formatMoney(item.amount)} · ${item.reference}` }));
  }

  async function rowOf(order) {
    const proceeds = await api("GET", `/orders/${order.id}/proceeds`);
    const received = element("td", { className: "received" }, ...receivedList(proceeds.items));
    const names = [...new Set(order.lines.map((line) => firms.get(line.enterprise_id) || `#${line.enterprise_id}`))].join(", ");
    return element("tr", { dataset: { orderId: order.id } },
      cell(`${order.channel} · ${order.external_id}`), cell(names), cell(order.export.destination_country), cell(badge(order.status)),
      cell(formatMoney(order.total), "number"), received, cell(order.status === "cancelled" ? "" : receiptForm(order, received)));
  }

  async function load(first) {
    const answer = await api("GET", "/orders?limit=30" + (first ? "" : `&cursor=${encodeURIComponent(next)}`));
    const rows = await Promise.all(answer.items.filter((order) => order.export).map(rowOf));
    if (first) $("#orders tbody").replaceChildren(...rows);
    else $("#orders tbody").append(...rows);
    next = answer.next_cursor;
    $("#more").hidden = !next;
    $("#nothing").hidden = $("#orders tbody").rows.length > 0;
  }

  $("#more").addEventListener("click", () => load(false).catch((error) => say(error.message)));
  session({
    onStart: async () => {
      try {
        firms = await firmNames();
        await load(true);
      } catch (error) {
        say(error.message);
      }
    },
  });
})();
