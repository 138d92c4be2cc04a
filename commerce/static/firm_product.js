// One product of a firm: its facts, texts side by side, SKUs, photos, review and stock.
(function () {
  "use strict";

  const { $, api, badge, button, cell, count, element, formatDateTime, say, session, text } = window.Commerce;
  const enterpriseId = Number(document.body.dataset.enterpriseId);
  let productId = Number(document.body.dataset.productId) || null;
  let product = null;
  const form = $("#product");

  // "color=red; size=M" <-> {color: "red", size: "M"}
  function attributesText(attributes) {
    return Object.entries(attributes || {}).map(([name, value]) => `${name}=${value}`).join("; ");
  }
  function attributesOf(value) {
    const attributes = {};
    for (const part of value.split(/[;；]/)) {
      const [name, ...rest] = part.split(/[=＝:：]/);
      if (name && name.trim() && rest.length) attributes[name.trim()] = rest.join("=").trim();
    }
    return attributes;
  }

  function input(name, value, properties) {
    return element("input", { name, value: value === undefined || value === null ? "" : String(value), ...(properties || {}) });
  }

  function labelled(node, label) {
    node.setAttribute("aria-label", label);
    return node;
  }

  function skuRow(sku) {
    const row = element("tr", { dataset: { skuId: sku.id || "" } });
    row.append(
      cell(labelled(input("sku_code", sku.sku_code, { required: true, maxLength: 64 }), text.sku_code)),
      cell(labelled(input("attributes", attributesText(sku.attributes), { placeholder: text.attributes_hint }), text.attributes)),
      cell(labelled(input("price", sku.price ? sku.price.amount : "", { required: true, inputMode: "decimal", pattern: "\\d+(\\.\\d{1,2})?", size: 8 }), text.price)),
      cell(labelled(input("weight_kg", sku.weight_kg || "", { inputMode: "decimal", pattern: "\\d+(\\.\\d{1,3})?", size: 6 }), text.weight_kg)),
      cell(labelled(input("barcode", sku.barcode || "", { inputMode: "numeric", pattern: "\\d{8,32}", size: 13 }), text.barcode)),
      cell(sku.id ? "" : labelled(input("on_hand", sku.on_hand === undefined ? "0" : sku.on_hand, { type: "number", min: 0, max: 10000000, size: 6 }), text.opening_stock), "opening"),
      cell(sku.id ? "" : button(text.remove, "secondary remove", () => { if ($("#skus tbody").rows.length > 1) row.remove(); })),
    );
    return row;
  }

  function value(name) {
    return form.elements[name].value.trim();
  }

  function skusOfForm() {
    return [...$("#skus tbody").rows].map((row) => {
      const field = (name) => row.querySelector(`[name=${name}]`);
      const sku = {
        sku_code: field("sku_code").value.trim(),
        attributes: attributesOf(field("attributes").value),
        price: { amount: field("price").value.trim(), currency: "CNY" },
        barcode: field("barcode").value.trim() || null,
      };
      if (field("weight_kg").value.trim()) sku.weight_kg = field("weight_kg").value.trim();
      if (row.dataset.skuId) sku.id = Number(row.dataset.skuId);
      else if (!productId) sku.on_hand = Number(field("on_hand").value || 0);
      return sku;
    });
  }

  function body() {
    const translations = { "zh-CN": { title: value("title_zh"), description: value("description_zh") } };
    if (value("title_en")) translations.en = { title: value("title_en"), description: value("description_en") };
    const payload = {
      hs_code: value("hs_code"),
      hs_suffix: value("hs_suffix") || null,
      declaration_elements: value("declaration_elements"),
      legal_unit: value("legal_unit"),
      second_legal_unit: value("second_legal_unit") || null,
      origin_region_code: value("origin_region_code"),
      trademark_id: value("trademark_id") ? Number(value("trademark_id")) : null,
      translations,
      skus: skusOfForm(),
    };
    if (!productId) {
      payload.enterprise_id = enterpriseId;
      if (value("product_code")) payload.product_code = value("product_code");
    }
    return payload;
  }

  function fill() {
    for (const name of ["product_code", "hs_code", "hs_suffix", "declaration_elements", "legal_unit", "second_legal_unit", "origin_region_code"]) {
      form.elements[name].value = product[name] || "";
    }
    form.elements.product_code.readOnly = true;
    form.elements.trademark_id.value = product.trademark_id || "";
    const zh = product.translations["zh-CN"] || { title: "", description: "" };
    const en = product.translations.en || { title: "", description: "" };
    form.elements.title_zh.value = zh.title;
    form.elements.description_zh.value = zh.description;
    form.elements.title_en.value = en.title;
    form.elements.description_en.value = en.description;
    $("#skus tbody").replaceChildren(...product.skus.map(skuRow));
    $("#skus").classList.add("existing");
  }

  // The photos, the main one first: each with its description in both languages (what marketplaces
  // show to the blind and to search), made the main picture, or deleted.
  function showPhotos() {
    const photos = product ? product.images : [];
    $("#photos").replaceChildren(
      ...photos.map((image, index) => {
        const alt = (tag, name, label) => {
          const field = element("input", { name, value: image.alt[tag] || "", maxLength: 200 });
          return element("label", { lang: tag }, label, field);
        };
        const description = element("form", { className: "photo-alt" },
          alt("zh-CN", "alt_zh", `${text.photo_alt_text} (${text.chinese})`),
          alt("en", "alt_en", `${text.photo_alt_text} (${text.english})`),
          element("button", { type: "submit", className: "secondary", textContent: text.save }));
        description.addEventListener("submit", (event) => {
          event.preventDefault();
          act(() => api("PATCH", `/products/${productId}/images/${image.id}`, {
            alt: { "zh-CN": description.elements.alt_zh.value.trim(), en: description.elements.alt_en.value.trim() },
          }));
        });
        return element(
          "li",
          { dataset: { imageId: image.id } },
          element("img", { src: image.thumbnail_url, alt: image.alt[document.documentElement.lang] || text.photo_alt.replace("{position}", index + 1), width: 96, height: 96 }),
          index === 0
            ? element("span", { className: "badge main-photo", textContent: text.main_photo })
            : button(text.make_main, "secondary make-main", () => act(() => makeMain(image, photos))),
          description,
          button(text.delete, "secondary delete", async () => {
            if (!window.confirm(text.confirm_delete)) return;
            await act(() => api("DELETE", `/products/${productId}/images/${image.id}`));
          }),
        );
      }),
    );
  }

  // The chosen photo first, the others after it in their order.
  async function makeMain(chosen, photos) {
    const order = [chosen, ...photos.filter((image) => image.id !== chosen.id)];
    for (const [position, image] of order.entries()) {
      if (image.position !== position) await api("PATCH", `/products/${productId}/images/${image.id}`, { position });
    }
  }

  function showStatus() {
    const status = $("#status");
    status.replaceWith(Object.assign(badge(product.status), { id: "status" }));
    $("#heading").textContent = `${product.title} · ${product.product_code}`;
    $("#rejection").hidden = !(product.status === "rejected" && product.rejection_reason);
    $("#rejection").textContent = `${text.rejection_reason}: ${product.rejection_reason || ""}`;
    $("#retired").hidden = product.status !== "retired";
    $("#back-to-review").hidden = product.status !== "approved";
    for (const control of form.querySelectorAll("input, select, textarea, button")) {
      if (control.name !== "photos") control.disabled = product.status === "retired";
    }
    $("#save-submit").hidden = !["draft", "rejected"].includes(product.status);
    $("#save-submit").textContent = productId ? text.save_and_submit : text.save_and_submit;
  }

  async function showStock() {
    $("#stock").hidden = false;
    $("#stock-levels tbody").replaceChildren(
      ...product.skus.map((sku) => {
        const adjust = element("form", { className: "adjust inline" },
          labelled(input("delta", "", { type: "number", required: true, min: -10000000, max: 10000000, size: 6 }), text.delta),
          labelled(input("reason", "", { required: true, maxLength: 500, placeholder: text.reason }), text.reason),
          element("button", { type: "submit", className: "secondary", textContent: text.adjust }));
        adjust.addEventListener("submit", (event) => {
          event.preventDefault();
          act(() => api("POST", `/skus/${sku.id}/stock-adjustments`, {
            delta: Number(adjust.elements.delta.value), reason: adjust.elements.reason.value.trim(),
          }));
        });
        return element("tr", { dataset: { skuId: sku.id } },
          cell(sku.sku_code), cell(count.format(sku.stock.on_hand), "number on-hand"), cell(count.format(sku.stock.reserved), "number"),
          cell(count.format(sku.stock.allocated), "number"), cell(count.format(sku.stock.available), "number available"), cell(adjust));
      }),
    );
    const movements = await Promise.all(product.skus.map((sku) => api("GET", `/skus/${sku.id}/stock-movements?limit=20`)));
    const rows = movements
      .flatMap((page, index) => page.items.map((movement) => ({ movement, sku: product.skus[index] })))
      .sort((a, b) => (a.movement.at < b.movement.at ? 1 : -1))
      .map(({ movement, sku }) =>
        element("tr", {}, cell(formatDateTime(movement.at)), cell(sku.sku_code), cell(movement.kind),
          cell((movement.on_hand_delta > 0 ? "+" : "") + count.format(movement.on_hand_delta), "number"),
          cell((movement.reserved_delta > 0 ? "+" : "") + count.format(movement.reserved_delta), "number"),
          cell(movement.reason)));
    $("#movements tbody").replaceChildren(...rows);
  }

  async function load() {
    product = await api("GET", `/products/${productId}`);
    fill();
    showStatus();
    showPhotos();
    await showStock();
  }

  async function act(work) {
    say("");
    try {
      await work();
      await load();
    } catch (error) {
      say(error.message);
    }
  }

  async function uploadPhotos() {
    const files = [...form.elements.photos.files];
    for (const file of files) {
      const upload = new FormData();
      upload.append("file", file);
      await api("POST", `/products/${productId}/images`, upload);
    }
    form.elements.photos.value = "";
  }

  async function save(thenSubmit) {
    say("");
    if (!form.reportValidity()) return;
    try {
      if (productId) await api("PATCH", `/products/${productId}`, body());
      else {
        const made = await api("POST", "/products", body());
        productId = made.id;
        window.history.replaceState(null, "", `/firm/products/${productId}`);
      }
      await uploadPhotos();
      if (thenSubmit) await api("POST", `/products/${productId}/submit`);
      await load();
      say(thenSubmit ? text.submitted : text.saved);
    } catch (error) {
      say(error.message);
      if (productId && !product) await load().catch(() => {});
    }
  }

  async function start() {
    try {
      const marks = await api("GET", "/trademarks?limit=100");
      form.elements.trademark_id.append(...marks.items.map((mark) => element("option", { value: mark.id, textContent: mark.name })));
      if (productId) await load();
      else $("#skus tbody").replaceChildren(skuRow({}));
    } catch (error) {
      say(error.message);
    }
  }

  $("#add-sku").addEventListener("click", () => $("#skus tbody").append(skuRow({})));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(false);
  });
  $("#save-submit").addEventListener("click", () => save(true));
  session({ onStart: start });
})();
