// The host console: one stream's lineup with live stock and sales, pinning, ordering, start/end, flash sales.
(function () {
  "use strict";

  const { $, api, button, count, element, formatMoney, say, text } = window.Commerce;
  const streamId = document.body.dataset.streamId;
  const refreshMilliseconds = 1500;
  let stream = null;
  let timer = null;
  const skuCodes = new Map(); // SKU id -> code, from the stats

  function renderHeader() {
    $("#stream-title").textContent = "#" + stream.id + " " + stream.title;
    const badge = $("#stream-status");
    badge.textContent = text["status_" + stream.status] || stream.status;
    badge.className = "badge " + stream.status;
    $("#start").hidden = stream.status !== "scheduled";
    $("#end").hidden = stream.status !== "live";
    // Pinning and flash sales only make sense while the stream is live; once it ended they are closed.
    const live = stream.status === "live";
    for (const control of $("#flash-sale").elements) control.disabled = !live;
    $("#closed").hidden = stream.status !== "ended" && stream.status !== "cancelled";
  }

  // Stock left per SKU (set aside for the stream plus general stock), the item's total first.
  function skuStock(figures) {
    const list = element("ul", { className: "sku-stock" });
    for (const sku of figures.skus || []) {
      const what = Object.values(sku.attributes).join("/");
      list.append(element("li", { dataset: { skuId: sku.sku_id } }, `${sku.sku_code}${what ? " " + what : ""}: `,
        element("strong", { textContent: count.format(sku.stock_left) })));
    }
    return element("div", {}, element("strong", { className: "stock-total", textContent: count.format(figures.stock_left) }), list);
  }

  function renderLineup(stats) {
    const statsOf = new Map(stats.items.map((item) => [item.item_id, item]));
    const rows = stream.lineup.map((item, index) => {
      const figures = statsOf.get(item.id) || { stock_left: 0, orders: 0, units: 0, gmv: { amount: "0", currency: stream.currency } };
      const row = document.createElement("tr");
      row.dataset.itemId = item.id;
      if (item.id === stats.pinned_item_id) row.classList.add("pinned");
      const picture = document.createElement("td");
      picture.className = "picture";
      if (item.image_url) {
        const image = document.createElement("img");
        image.src = item.image_url;
        image.alt = "";
        image.width = 48;
        image.height = 48;
        picture.appendChild(image);
      }
      row.appendChild(picture);
      const cells = [
        ["position", item.position],
        ["title", item.title],
        ["number live-price", item.live_price ? formatMoney(item.live_price) : "—", text.live_price],
        ["stock", skuStock(figures)],
        ["number orders", count.format(figures.orders), text.orders],
        ["number units", count.format(figures.units), text.units],
        ["number gmv", formatMoney(figures.gmv), text.gmv],
      ];
      for (const [className, value, label] of cells) {
        const cell = document.createElement("td");
        cell.className = className;
        if (label) cell.dataset.label = label;
        cell.append(value);
        row.appendChild(cell);
      }
      const actions = document.createElement("td");
      const pinned = item.id === stats.pinned_item_id;
      const live = stream.status === "live";
      const open = live || stream.status === "scheduled";
      actions.append(
        button(pinned ? text.unpin : text.pin, "pin" + (pinned ? " secondary" : ""), () => (pinned ? unpin() : pin(item.id)), !live),
        " ",
        button("↑", "up secondary", () => move(index, -1), index === 0 || !open),
        " ",
        button("↓", "down secondary", () => move(index, 1), index === stream.lineup.length - 1 || !open),
      );
      row.appendChild(actions);
      return row;
    });
    $("#lineup tbody").replaceChildren(...rows);
    $("#total-orders").textContent = count.format(stats.totals.orders);
    $("#total-units").textContent = count.format(stats.totals.units);
    $("#total-gmv").textContent = formatMoney(stats.totals.gmv);
  }

  function renderFlashSales() {
    const now = Date.now();
    const titles = new Map(stream.lineup.map((item) => [item.id, item.title]));
    const entries = stream.flash_sales.map((sale) => {
      const starts = Date.parse(sale.starts_at);
      const ends = Date.parse(sale.ends_at);
      const seconds = Math.max(0, Math.round(((now < starts ? starts : ends) - now) / 1000));
      const when = now < starts ? text.starts_in : text.ends_in;
      const entry = document.createElement("li");
      const sold = text.sold_of.replace("{sold}", count.format(sale.sold)).replace("{quantity}", count.format(sale.quantity));
      const timing = now < ends ? ` · ${when} ${seconds}s` : ` · ${text.sale_ended}`;
      entry.dataset.saleId = sale.id;
      entry.textContent = `${titles.get(sale.item_id) || sale.item_id} · ${skuCodes.get(sale.sku_id) || "SKU " + sale.sku_id} · ${text.deal_price} ${formatMoney(sale.price)} · ${sold}${timing}`;
      return entry;
    });
    $("#flash-sales").replaceChildren(...entries);
    const select = $("#flash-sale select[name=item_id]");
    const chosen = select.value;
    select.replaceChildren(
      ...stream.lineup.map((item) => new Option(item.position + ". " + item.title, item.id, false, String(item.id) === chosen)),
    );
  }

  async function refresh() {
    try {
      const [current, stats] = await Promise.all([api("GET", `/streams/${streamId}`), api("GET", `/streams/${streamId}/stats`)]);
      stream = current;
      renderHeader();
      for (const item of stats.items) for (const sku of item.skus || []) skuCodes.set(sku.sku_id, sku.sku_code);
      renderLineup(stats);
      renderFlashSales();
      if ($("#flash-sale select[name=sku_id]").options.length === 0) loadSkus();
    } catch (error) {
      say(error.message);
    }
  }

  const act = window.Commerce.actionsThen(refresh);

  const pin = (itemId) => act(() => api("POST", `/streams/${streamId}/pin`, { item_id: itemId }));
  const unpin = () => act(() => api("DELETE", `/streams/${streamId}/pin`));

  function move(index, step) {
    const items = stream.lineup.map((item) => ({ product_id: item.product_id, live_price: item.live_price }));
    const [moved] = items.splice(index, 1);
    items.splice(index + step, 0, moved);
    return act(() => api("PUT", `/streams/${streamId}/lineup`, { items }));
  }

  async function loadSkus() {
    const itemId = Number($("#flash-sale select[name=item_id]").value);
    const item = stream && stream.lineup.find((entry) => entry.id === itemId);
    if (!item) return;
    const product = await api("GET", `/products/${item.product_id}`);
    $("#flash-sale select[name=sku_id]").replaceChildren(
      ...product.skus.map((sku) => new Option(`${sku.sku_code} (${count.format(sku.stock.available + (item.sku_allocations[sku.id] || 0))})`, sku.id)),
    );
  }

  function start() {
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, refreshMilliseconds);
  }

  $("#start").addEventListener("click", () => act(() => api("POST", `/streams/${streamId}/start`)));
  $("#end").addEventListener("click", () => {
    if (window.confirm(text.confirm_end)) act(() => api("POST", `/streams/${streamId}/end`));
  });
  $("#flash-sale select[name=item_id]").addEventListener("change", () => loadSkus().catch((error) => say(error.message)));
  $("#flash-sale").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const payload = {
      item_id: Number(form.get("item_id")),
      sku_id: Number(form.get("sku_id")),
      price: { amount: form.get("price"), currency: stream.currency },
      quantity: Number(form.get("quantity")),
      per_buyer_limit: Number(form.get("per_buyer_limit")),
      countdown_seconds: Number(form.get("countdown_seconds")),
      duration_seconds: Number(form.get("duration_seconds")),
    };
    act(() => api("POST", `/streams/${streamId}/flash-sales`, payload));
  });

  window.Commerce.session({ onStart: start, onSignedOut: () => clearInterval(timer) });
})();
