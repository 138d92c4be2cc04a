// The firms' invoices with how far each is matched to declarations, and recording one line by line.
(function () {
  "use strict";

  const { $, api, button, cell, element, firmChoices, firmNames, formatMoney, pager, say, session, text } = window.Commerce;
  let firms = new Map();

  function rowOf(invoice) {
    const lines = element("ul", { className: "lines" }, ...invoice.lines.map((line) =>
      element("li", { textContent: `${line.hs_code} × ${line.quantity} · ${formatMoney(line.amount)} (${line.matched_quantity}/${line.quantity})` })));
    return [element("tr", { dataset: { invoiceId: invoice.id } },
      cell(invoice.number), cell(firms.get(invoice.enterprise_id) || `#${invoice.enterprise_id}`, "firm"), cell(invoice.issued_on),
      cell(invoice.seller_name || ""), cell(formatMoney(invoice.amount_excl_vat), "number"), cell(formatMoney(invoice.vat_amount), "number"),
      cell(lines), cell(invoice.fully_matched ? text.fully : text.partly, "matched"))];
  }

  async function show() {
    const firm = $("#filter select").value;
    const answer = await pager("/invoices?limit=50" + (firm ? `&enterprise_id=${firm}` : ""), $("#invoices tbody"), rowOf, $("#more"))();
    $("#nothing").hidden = answer.items.length > 0;
  }

  function lineRow() {
    const input = (name, properties, label) => {
      const node = element("input", { name, required: true, ...properties });
      node.setAttribute("aria-label", label);
      return node;
    };
    const row = element("tr", {},
      cell(input("hs_code", { pattern: "[0-9]{10}", inputMode: "numeric", size: 10 }, text.hs_code)),
      cell(input("quantity", { type: "number", min: 1, size: 6 }, text.quantity)),
      cell(input("amount", { inputMode: "decimal", pattern: "\\d+(\\.\\d{1,2})?", size: 10 }, text.amount)),
      cell(button(text.remove, "secondary", () => { if ($("#invoice-lines tbody").rows.length > 1) row.remove(); })));
    return row;
  }

  $("#add-line").addEventListener("click", () => $("#invoice-lines tbody").append(lineRow()));
  $("#record").addEventListener("submit", async (event) => {
    event.preventDefault();
    say("");
    const form = event.target;
    const money = (amount) => ({ amount: amount.trim(), currency: "CNY" });
    try {
      const invoice = await api("POST", "/invoices", {
        enterprise_id: Number(form.elements.enterprise_id.value),
        number: form.elements.number.value.trim(),
        issued_on: form.elements.issued_on.value,
        seller_name: form.elements.seller_name.value.trim() || null,
        amount_excl_vat: money(form.elements.amount_excl_vat.value),
        vat_amount: money(form.elements.vat_amount.value),
        lines: [...$("#invoice-lines tbody").rows].map((row) => ({
          hs_code: row.querySelector("[name=hs_code]").value.trim(),
          quantity: Number(row.querySelector("[name=quantity]").value),
          amount: money(row.querySelector("[name=amount]").value),
        })),
      });
      await show();
      say(text.recorded.replace("{number}", invoice.number));
    } catch (error) {
      say(error.message);
    }
  });
  $("#filter select").addEventListener("change", () => show().catch((error) => say(error.message)));

  session({
    onStart: async () => {
      try {
        firms = await firmNames();
        firmChoices(firms);
        $("#invoice-lines tbody").append(lineRow());
        await show();
      } catch (error) {
        say(error.message);
      }
    },
  });
})();
