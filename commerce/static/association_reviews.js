// The association's review queue: each waiting product with its pictures and facts, approved or sent back with a reason.
(function () {
  "use strict";

  const { $, api, element, everything, firmNames, formatMoney, say, session, text } = window.Commerce;
  let firms = new Map();
  let marks = new Map();
  let next = null;

  function fact(label, value) {
    return [element("dt", { textContent: label }), element("dd", { textContent: value || "—" })];
  }

  function texts(product, tag, label) {
    const translation = product.translations[tag];
    return element("div", { lang: tag },
      element("h3", { textContent: label }),
      element("p", { className: "title", textContent: translation ? translation.title : "—" }),
      element("p", { className: "note", textContent: translation ? translation.description : "" }));
  }

  function card(product) {
    const photos = product.images.length
      ? element("div", { className: "photos" }, ...product.images.map((image, index) =>
        element("a", { href: image.url, target: "_blank", rel: "noopener" },
          element("img", { src: image.thumbnail_url, alt: `${product.title} ${index + 1}`, width: 120, height: 120, loading: "lazy" }))))
      : element("p", { className: "note", textContent: text.no_photos });
    const reason = element("textarea", { name: "reason", rows: 2, maxLength: 1000, required: true });
    reason.setAttribute("aria-label", text.reason);
    const decide = element("form", { className: "decide" },
      element("label", {}, text.reason, reason),
      element("div", { className: "form-actions" },
        element("button", { type: "button", className: "approve", textContent: text.approve }),
        element("button", { type: "submit", className: "danger reject", textContent: text.reject })));
    const article = element("article", { className: "review", dataset: { productId: product.id } },
      element("h2", { textContent: product.title }),
      photos,
      element("dl", { className: "facts" },
        ...fact(text.firm, firms.get(product.enterprise_id)),
        ...fact(text.product_code, product.product_code),
        ...fact(text.hs_code, product.hs_code + (product.hs_suffix ? ` / ${product.hs_suffix}` : "")),
        ...fact(text.legal_units, [product.legal_unit, product.second_legal_unit].filter(Boolean).join(" / ")),
        ...fact(text.declaration_elements, product.declaration_elements),
        ...fact(text.origin_region_code, product.origin_region_code),
        ...fact(text.trademark, product.trademark_id ? marks.get(product.trademark_id) : text.no_trademark)),
      element("div", { className: "side-by-side" }, texts(product, "zh-CN", text.chinese), texts(product, "en", text.english)),
      element("h3", { textContent: text.skus }),
      element("ul", { className: "sku-list" }, ...product.skus.map((sku) =>
        element("li", { textContent: `${sku.sku_code} · ${Object.values(sku.attributes).join(" / ")} · ${formatMoney(sku.price)}` }))),
      decide);
    decide.querySelector(".approve").addEventListener("click", () =>
      settle(article, () => api("POST", `/products/${product.id}/approve`), text.approved.replace("{title}", product.title)));
    decide.addEventListener("submit", (event) => {
      event.preventDefault();
      settle(article, () => api("POST", `/products/${product.id}/reject`, { reason: reason.value.trim() }),
        text.rejected.replace("{title}", product.title));
    });
    return article;
  }

  async function settle(article, work, done) {
    say("");
    try {
      await work();
      article.remove();
      say(done);
      $("#nothing").hidden = $("#queue").children.length > 0;
    } catch (error) {
      say(error.message);
    }
  }

  async function load(first) {
    const path = "/products?status=pending_review&limit=20" + (first ? "" : `&cursor=${encodeURIComponent(next)}`);
    const answer = await api("GET", path);
    const cards = answer.items.map(card);
    if (first) $("#queue").replaceChildren(...cards);
    else $("#queue").append(...cards);
    next = answer.next_cursor;
    $("#more").hidden = !next;
    $("#nothing").hidden = $("#queue").children.length > 0;
  }

  async function start() {
    try {
      [firms, marks] = await Promise.all([
        firmNames(),
        everything("/trademarks").then((items) => new Map(items.map((mark) => [mark.id, mark.name]))),
      ]);
      await load(true);
    } catch (error) {
      say(error.message);
    }
  }

  $("#more").addEventListener("click", () => load(false).catch((error) => say(error.message)));
  session({ onStart: start });
})();
