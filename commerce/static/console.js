// The host console: one stream's lineup with live stock and sales, pinning, ordering, start/end, flash sales.
(function () {
  "use strict";

  const body = document.body;
  const streamId = body.dataset.streamId;
  const language = body.dataset.language;
  const text = JSON.parse(document.getElementById("console-text").textContent);
  const tokenKey = "commerce.console.token";
  const refreshMilliseconds = 1500;
  const money = new Intl.NumberFormat(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const count = new Intl.NumberFormat(language);
  let stream = null;
  let timer = null;

  const $ = (selector) => document.querySelector(selector);

  function say(message) {
    $("#message").textContent = message || "";
  }

  async function api(method, path, payload) {
    const headers = { "Accept-Language": language };
    const token = sessionStorage.getItem(tokenKey);
    if (token) headers.Authorization = "Bearer " + token;
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch("/api/v1" + path, {
      method,
      headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const answer = response.status === 204 ? null : await response.json();
    if (response.status === 401) {
      sessionStorage.removeItem(tokenKey);
      showLogin();
    }
    if (!response.ok) {
      const error = new Error(answer && (answer.detail || answer.title));
      error.problem = answer;
      throw error;
    }
    return answer;
  }

  function showLogin() {
    clearInterval(timer);
    $("#login").hidden = false;
    $("#console").hidden = true;
  }

  function formatMoney(value) {
    return value.currency + " " + money.format(Number(value.amount));
  }

  function button(label, className, handler, disabled) {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = label;
    element.className = className;
    element.disabled = Boolean(disabled);
    element.addEventListener("click", handler);
    return element;
  }

  function renderHeader() {
    $("#stream-title").textContent = "#" + stream.id + " " + stream.title;
    const badge = $("#stream-status");
    badge.textContent = text["status_" + stream.status] || stream.status;
    badge.className = "badge " + stream.status;
    $("#start").hidden = stream.status !== "scheduled";
    $("#end").hidden = stream.status !== "live";
  }

  function renderLineup(stats) {
    const statsOf = new Map(stats.items.map((item) => [item.item_id, item]));
    const rows = stream.lineup.map((item, index) => {
      const figures = statsOf.get(item.id) || { stock_left: 0, orders: 0, units: 0, gmv: { amount: "0", currency: stream.currency } };
      const row = document.createElement("tr");
      row.dataset.itemId = item.id;
      if (item.id === stats.pinned_item_id) row.classList.add("pinned");
      const cells = [
        ["position", item.position],
        ["title", item.title],
        ["number stock", count.format(figures.stock_left)],
        ["number orders", count.format(figures.orders)],
        ["number units", count.format(figures.units)],
        ["number gmv", formatMoney(figures.gmv)],
      ];
      for (const [className, value] of cells) {
        const cell = document.createElement("td");
        cell.className = className;
        cell.textContent = value;
        row.appendChild(cell);
      }
      const actions = document.createElement("td");
      const pinned = item.id === stats.pinned_item_id;
      actions.append(
        button(pinned ? text.unpin : text.pin, "pin" + (pinned ? " secondary" : ""), () => (pinned ? unpin() : pin(item.id))),
        " ",
        button("↑", "up secondary", () => move(index, -1), index === 0),
        " ",
        button("↓", "down secondary", () => move(index, 1), index === stream.lineup.length - 1),
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
      entry.textContent = `${titles.get(sale.item_id) || sale.item_id} · SKU ${sale.sku_id} · ${formatMoney(sale.price)} · ${sale.sold}/${sale.quantity} · ${when} ${seconds}s`;
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
      renderLineup(stats);
      renderFlashSales();
      if ($("#flash-sale select[name=sku_id]").options.length === 0) loadSkus();
    } catch (error) {
      say(error.message);
    }
  }

  async function act(work) {
    say("");
    try {
      await work();
      await refresh();
    } catch (error) {
      say(error.message);
    }
  }

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
    say("");
    $("#login").hidden = true;
    $("#console").hidden = false;
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, refreshMilliseconds);
  }

  $("#login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const answer = await api("POST", "/auth/tokens", { email: form.get("email"), password: form.get("password") });
      sessionStorage.setItem(tokenKey, answer.token);
      start();
    } catch (error) {
      say(error.message);
    }
  });
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

  if (sessionStorage.getItem(tokenKey)) start();
  else showLogin();
})();
