// A firm's products: picture, title, review status (and why it was rejected), stock per SKU.
(function () {
  "use strict";

  const { $, badge, cell, count, element, pager, picture, say, session, text } = window.Commerce;

  function skuList(product) {
    return element(
      "ul",
      { className: "sku-list" },
      ...product.skus.map((sku) => {
        const what = Object.values(sku.attributes).join(" / ");
        return element(
          "li",
          { dataset: { skuId: sku.id } },
          element("span", { className: "sku-code", textContent: sku.sku_code }),
          what ? ` ${what} · ` : " · ",
          element("strong", { className: "available", textContent: count.format(sku.stock.available) }),
          ` ${text.available} / ${count.format(sku.stock.on_hand)} ${text.on_hand}`,
        );
      }),
    );
  }

  function rowOf(product) {
    const image = product.images[0];
    const title = element("a", { href: `/firm/products/${product.id}`, textContent: product.title, className: "title" });
    const about = element("div", {}, title, element("div", { className: "note", textContent: `${product.product_code} · HS ${product.hs_code}` }));
    if (product.status === "rejected" && product.rejection_reason) {
      about.append(element("p", { className: "problem rejection", textContent: `${text.rejection_reason}: ${product.rejection_reason}` }));
    }
    const row = element(
      "tr",
      { dataset: { productId: product.id } },
      cell(picture(image && image.thumbnail_url, product.title), "picture"),
      cell(about),
      cell(badge(product.status), "status"),
      cell(skuList(product)),
    );
    return [row];
  }

  async function show() {
    const status = $("#filter select[name=status]").value;
    const enterprise = document.body.dataset.enterpriseId;
    const path = `/products?enterprise_id=${enterprise}&limit=50` + (status ? `&status=${status}` : "");
    try {
      const answer = await pager(path, $("#products tbody"), rowOf, $("#more"))();
      $("#nothing").hidden = answer.items.length > 0;
    } catch (error) {
      say(error.message);
    }
  }

  $("#filter select[name=status]").addEventListener("change", show);
  session({ onStart: show });
})();
