// A stream's lineup: approved products in order (dragged, or moved with buttons and Alt+arrows), each with an
// optional live price and units set aside per SKU, saved in one go.
(function () {
  "use strict";

  const { $, api, badge, button, count, element, everything, firmNames, formatMoney, picture, say, session, text } = window.Commerce;
  const streamId = document.body.dataset.streamId;
  let stream = null;
  let firms = new Map();
  let approved = [];
  const products = new Map(); // product id -> product (SKUs, stock, list prices)
  let dragged = null;

  async function productOf(productId) {
    if (!products.has(productId)) products.set(productId, await api("GET", `/products/${productId}`));
    return products.get(productId);
  }

  function numbered() {
    [...$("#lineup").children].forEach((row, index) => {
      row.querySelector(".position").textContent = index + 1;
      row.querySelector("button.up").disabled = index === 0 || closed();
      row.querySelector("button.down").disabled = index === $("#lineup").children.length - 1 || closed();
    });
    $("#empty").hidden = $("#lineup").children.length > 0;
  }

  function closed() {
    return stream && (stream.status === "ended" || stream.status === "cancelled");
  }

  function move(row, step) {
    const target = step < 0 ? row.previousElementSibling : row.nextElementSibling;
    if (!target) return;
    if (step < 0) target.before(row);
    else target.after(row);
    numbered();
    row.focus();
  }

  function rowOf(product, item) {
    const allocations = (item && item.sku_allocations) || {};
    const price = element("input", {
      name: "live_price", inputMode: "decimal", pattern: "\\d+(\\.\\d{1,2})?", size: 8,
      value: item && item.live_price ? item.live_price.amount : "",
    });
    price.setAttribute("aria-label", `${text.live_price} · ${product.title}`);
    const skus = element("div", { className: "allocations" }, ...product.skus.map((sku) => {
      const units = element("input", { type: "number", min: 0, max: 10000000, size: 5, name: "allocation", value: allocations[String(sku.id)] || 0 });
      units.dataset.skuId = sku.id;
      return element("label", { className: "choice" },
        `${sku.sku_code} ${Object.values(sku.attributes).join("/")} (${count.format(sku.stock.available)} ${text.available})`, units);
    }));
    const row = element("li", { className: "lineup-item", draggable: !closed(), tabIndex: 0, dataset: { productId: product.id } },
      element("span", { className: "handle", ariaHidden: "true", textContent: "⠿" }),
      element("span", { className: "position" }),
      picture(product.images[0] && product.images[0].thumbnail_url, product.title),
      element("div", { className: "about" },
        element("strong", { className: "title", textContent: product.title }),
        element("div", { className: "note", textContent: `${firms.get(product.enterprise_id) || ""} · ${text.list_price} ${formatMoney(product.skus[0].price)}` })),
      element("label", {}, text.live_price, price),
      element("fieldset", { className: "skus" }, element("legend", { textContent: text.allocations }), skus),
      element("span", { className: "actions" },
        button("↑", "secondary up", () => move(row, -1)),
        button("↓", "secondary down", () => move(row, 1)),
        button(text.remove, "secondary remove", () => { row.remove(); numbered(); showResults(); })));
    row.querySelector("button.up").setAttribute("aria-label", text.move_up);
    row.querySelector("button.down").setAttribute("aria-label", text.move_down);
    row.addEventListener("keydown", (event) => {
      if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
        event.preventDefault();
        move(row, event.key === "ArrowUp" ? -1 : 1);
      }
    });
    row.addEventListener("dragstart", () => { dragged = row; row.classList.add("dragging"); });
    row.addEventListener("dragend", () => { row.classList.remove("dragging"); dragged = null; numbered(); });
    row.addEventListener("dragover", (event) => {
      event.preventDefault();
      if (!dragged || dragged === row) return;
      const box = row.getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) row.before(dragged);
      else row.after(dragged);
    });
    if (closed()) row.querySelectorAll("input, button").forEach((control) => { control.disabled = true; });
    return row;
  }

  function inLineup() {
    return new Set([...$("#lineup").children].map((row) => Number(row.dataset.productId)));
  }

  function showResults() {
    const wanted = $("#search").value.trim().toLowerCase();
    const taken = inLineup();
    const found = approved
      .filter((product) => !taken.has(product.id))
      .filter((product) => !wanted || [product.title, product.product_code, product.hs_code].some((value) => value.toLowerCase().includes(wanted)))
      .slice(0, 30);
    $("#results").replaceChildren(...found.map((product) =>
      element("li", { dataset: { productId: product.id } },
        picture(product.images[0] && product.images[0].thumbnail_url, product.title, 40),
        element("span", { className: "about" }, element("strong", { textContent: product.title }), ` · ${firms.get(product.enterprise_id) || ""} · ${formatMoney(product.skus[0].price)}`),
        button(text.add, "secondary add", async () => {
          products.set(product.id, product);
          $("#lineup").append(rowOf(product, null));
          numbered();
          showResults();
        }, closed()))));
    $("#no-results").hidden = found.length > 0;
  }

  function body() {
    return {
      items: [...$("#lineup").children].map((row) => {
        const price = row.querySelector("[name=live_price]").value.trim();
        const allocations = {};
        row.querySelectorAll("[name=allocation]").forEach((units) => { allocations[units.dataset.skuId] = Number(units.value || 0); });
        return {
          product_id: Number(row.dataset.productId),
          live_price: price ? { amount: price, currency: stream.currency } : null,
          sku_allocations: allocations,
        };
      }),
    };
  }

  async function show() {
    stream = await api("GET", `/streams/${streamId}`);
    $("#stream-title").textContent = stream.title;
    $("#stream-status").replaceWith(Object.assign(badge(stream.status), { id: "stream-status" }));
    $("#closed").hidden = !closed();
    $("#save").disabled = closed();
    const rows = [];
    for (const item of stream.lineup) rows.push(rowOf(await productOf(item.product_id), item));
    $("#lineup").replaceChildren(...rows);
    numbered();
    showResults();
  }

  $("#save").addEventListener("click", async () => {
    say("");
    try {
      await api("PUT", `/streams/${streamId}/lineup`, body());
      products.clear();
      await show();
      say(text.saved);
    } catch (error) {
      say(error.message);
    }
  });
  $("#search").addEventListener("input", showResults);

  session({
    onStart: async () => {
      try {
        [firms, approved] = await Promise.all([firmNames(), everything("/products?status=approved", 500)]);
        await show();
      } catch (error) {
        say(error.message);
      }
    },
  });
})();
