// A firm's after-sales: asking for a refund or a return on a paid order's line, and answering each
// request step by step (approve or refuse, parcel back, inspection, refund paid).
(function () {
  "use strict";

  const { $, actionsThen, api, badge, button, cell, count, element, everything, formatDateTime, formatMoney, lineName, pager, readEach, say,
    session, text } = window.Commerce;
  const orders = new Map(); // order id -> the order, read once
  const products = new Map(); // product id -> the product, read once
  const PAID = new Set(["paid", "shipped", "cleared"]);

  function lineText(order, line) {
    return `${order.channel} · ${order.external_id} — ${lineName(products, line)}`;
  }

  function lineOf(afterSale) {
    const order = orders.get(afterSale.order_id);
    const line = order && order.lines.find((item) => item.id === afterSale.order_line_id);
    return line ? lineText(order, line) : `#${afterSale.order_id}`;
  }

  function numberInput(name, value, label) {
    const input = element("input", { name, type: "number", min: 0, max: 100000, value, required: true });
    return element("label", {}, label, input);
  }

  // What the firm can do next with an after-sale, by its kind and status.
  function answers(afterSale, run) {
    const path = `/after-sales/${afterSale.id}`;
    const isReturn = afterSale.kind === "return_and_refund";
    if (afterSale.status === "requested") {
      const reason = element("input", { name: "reason", required: true, maxLength: 500, size: 14 });
      const refusal = element("form", { className: "inline refuse" },
        element("label", {}, text.refusal_reason, reason),
        element("button", { type: "submit", className: "danger", textContent: text.refuse }));
      refusal.addEventListener("submit", (event) => {
        event.preventDefault();
        run(() => api("POST", `${path}/refuse`, { reason: reason.value.trim() }));
      });
      return [button(text.approve, "approve", () => run(() => api("POST", `${path}/approve`))), refusal];
    }
    if (afterSale.status === "approved" && isReturn) {
      return [button(text.receive, "receive", () => run(() => api("POST", `${path}/receive`)))];
    }
    if (afterSale.status === "received") {
      const inspection = element("form", { className: "inline inspect" },
        numberInput("restocked", afterSale.quantity, text.restocked),
        numberInput("written_off", 0, text.written_off),
        element("button", { type: "submit", className: "secondary", textContent: text.inspect }));
      inspection.addEventListener("submit", (event) => {
        event.preventDefault();
        run(() => api("POST", `${path}/inspect`, {
          restocked: Number(inspection.elements.restocked.value),
          written_off: Number(inspection.elements.written_off.value),
        }));
      });
      return [inspection];
    }
    if ((afterSale.status === "approved" && !isReturn) || afterSale.status === "inspected") {
      return [button(text.refund, "refund", () => run(() => api("POST", `${path}/refund`)))];
    }
    return [];
  }

  function rowOf(afterSale, run) {
    const units = afterSale.quantity ? ` × ${count.format(afterSale.quantity)}` : "";
    const said = afterSale.refusal_reason ? `${afterSale.reason} — ${afterSale.refusal_reason}` : afterSale.reason;
    return [
      element("tr", { dataset: { afterSaleId: afterSale.id } },
        cell(element("span", {}, `${text["kind_" + afterSale.kind]}${units}`, element("br"), formatDateTime(afterSale.requested_at))),
        cell(lineOf(afterSale)),
        cell(formatMoney(afterSale.amount), "number"),
        cell(said),
        cell(badge(afterSale.status)),
        cell(element("div", { className: "form-actions" }, ...answers(afterSale, run)))),
    ];
  }

  async function show() {
    const status = $("#status").value;
    const tbody = $("#after-sales tbody");
    const run = actionsThen(show);
    const load = pager(`/after-sales?limit=30${status ? "&status=" + status : ""}`, tbody, (item) => rowOf(item, run), $("#more"));
    const answer = await load();
    await readEach(orders, answer.items.map((item) => item.order_id), "/orders");
    await readEach(products, [...orders.values()].filter(Boolean).flatMap((order) => order.lines.map((line) => line.product_id)), "/products");
    tbody.replaceChildren(...answer.items.flatMap((item) => rowOf(item, run)));
    $("#nothing").hidden = answer.items.length > 0;
  }

  async function offerLines() {
    const paid = (await everything("/orders", 300)).filter((order) => PAID.has(order.status));
    paid.forEach((order) => orders.set(order.id, order));
    await readEach(products, paid.flatMap((order) => order.lines.map((line) => line.product_id)), "/products");
    const options = paid.flatMap((order) => order.lines.map((line) =>
      element("option", { value: `${order.id}:${line.id}`, textContent: lineText(order, line) })));
    $("#ask select[name=line]").replaceChildren(...options);
    $("#no-lines").hidden = options.length > 0;
  }

  $("#ask").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const [orderId, lineId] = form.elements.line.value.split(":").map(Number);
    const kind = form.elements.kind.value;
    const body = { order_id: orderId, order_line_id: lineId, kind, reason: form.elements.reason.value.trim() };
    if (kind !== "partial_refund") body.quantity = Number(form.elements.quantity.value);
    const amount = form.elements.amount.value.trim();
    if (amount) body.amount = amount;
    say("");
    try {
      await api("POST", "/after-sales", body);
      form.elements.reason.value = "";
      form.elements.amount.value = "";
      say(text.asked);
      await show();
    } catch (error) {
      say(error.message);
    }
  });
  $("#ask select[name=kind]").addEventListener("change", (event) => {
    $("#ask input[name=quantity]").disabled = event.target.value === "partial_refund";
  });
  $("#status").addEventListener("change", () => show().catch((error) => say(error.message)));

  session({
    onStart: async () => {
      try {
        await offerLines();
        await show();
      } catch (error) {
        say(error.message);
      }
    },
  });
})();
