// A firm's orders: each order with the lines of the firm's own products, named by product and SKU.
(function () {
  "use strict";

  const { $, badge, cell, element, formatDateTime, formatMoney, lineName, pager, readEach, say, session } = window.Commerce;
  const products = new Map(); // product id -> the product, read once

  async function productsOf(orders) {
    await readEach(products, orders.flatMap((order) => order.lines.map((line) => line.product_id)), "/products");
  }

  function lineText(line) {
    return `${lineName(products, line)} @ ${formatMoney(line.unit_price)}`;
  }

  function rowOf(order) {
    return [
      element("tr", { dataset: { orderId: order.id } },
        cell(`${order.channel} · ${order.external_id}`),
        cell(formatDateTime(order.placed_at)),
        cell(badge(order.status)),
        cell(order.buyer.name + (order.buyer.country ? ` (${order.buyer.country})` : "")),
        cell(element("ul", { className: "lines" }, ...order.lines.map((line) => element("li", { textContent: lineText(line) })))),
        cell(formatMoney(order.total), "number")),
    ];
  }

  async function show() {
    try {
      const tbody = $("#orders tbody");
      const load = pager("/orders?limit=50", tbody, rowOf, $("#more"));
      const answer = await load();
      await productsOf(answer.items);
      tbody.replaceChildren(...answer.items.flatMap(rowOf));
      $("#nothing").hidden = answer.items.length > 0;
    } catch (error) {
      say(error.message);
    }
  }

  session({ onStart: show });
})();
