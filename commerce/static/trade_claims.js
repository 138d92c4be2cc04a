// Rebate claims: compute a period's, see what each firm still needs, file, record refunds; a firm's ledger.
(function () {
  "use strict";

  const { $, api, badge, button, cell, computeMonth, element, everything, firmChoices, firmNames, formatMoney, say, session, text } = window.Commerce;
  let firms = new Map();

  function refundForm(claim) {
    const form = element("form", { className: "inline refund" },
      element("label", {}, text.amount, element("input", { name: "amount", inputMode: "decimal", pattern: "\\d+(\\.\\d{1,2})?", required: true, size: 8 })),
      element("label", {}, text.received_on, element("input", { name: "received_on", type: "date", required: true })),
      element("label", {}, text.reference, element("input", { name: "reference", required: true, maxLength: 60, size: 10 })),
      element("button", { type: "submit", className: "secondary", textContent: text.record }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(() => api("POST", `/rebates/claims/${claim.id}/refunds`, {
        amount: { amount: form.elements.amount.value.trim(), currency: claim.amount.currency },
        received_on: form.elements.received_on.value,
        reference: form.elements.reference.value.trim(),
      }));
    });
    return element("details", {}, element("summary", { textContent: text.refund }), form);
  }

  function rowOf(claim) {
    const missing = claim.missing.length
      ? element("ul", { className: "missing" }, ...claim.missing.map((item) => element("li", { textContent: item.message })))
      : element("span", { className: "ok", textContent: text.nothing_missing });
    if (claim.warnings.length) missing.append(element("ul", { className: "warnings" }, ...claim.warnings.map((item) => element("li", { textContent: item.message }))));
    const actions = element("div", { className: "actions" });
    if (claim.status === "draft") {
      actions.append(button(text.file, "file", () => {
        if (window.confirm(text.confirm_file)) act(() => api("POST", `/rebates/claims/${claim.id}/file`));
      }));
    }
    if (claim.status === "filed") actions.append(refundForm(claim));
    return element("tr", { dataset: { claimId: claim.id, enterpriseId: claim.enterprise_id } },
      cell("#" + claim.id), cell(firms.get(claim.enterprise_id) || `#${claim.enterprise_id}`, "firm"), cell(claim.period),
      cell(badge(claim.status), "status"), cell(formatMoney(claim.amount), "number amount"), cell(formatMoney(claim.refunded), "number refunded-amount"),
      cell(claim.due_date), cell(missing, "missing"), cell(actions));
  }

  async function showClaims() {
    const filter = $("#filter");
    const query = new URLSearchParams();
    if (filter.elements.period.value) query.set("period", filter.elements.period.value);
    if (filter.elements.status.value) query.set("status", filter.elements.status.value);
    const claims = await everything("/rebates/claims?" + query.toString(), 500);
    $("#claims tbody").replaceChildren(...claims.map(rowOf));
    $("#nothing").hidden = claims.length > 0;
  }

  async function showLedger() {
    const firm = $("#ledger-firm select").value;
    $("#ledger").hidden = !firm;
    if (!firm) return;
    const ledger = await api("GET", `/rebates/ledger/${firm}`);
    for (const name of ["invoiced", "invoice_unmatched", "claimed", "refunded", "receivable", "to_repay"]) $("#" + name).textContent = formatMoney(ledger.balances[name]);
    $("#entries tbody").replaceChildren(...ledger.entries.map((entry) =>
      element("tr", {}, cell(entry.on), cell(`${entry.kind} · ${entry.reference}`), cell(formatMoney(entry.amount), "number"), cell(formatMoney(entry.receivable), "number"))));
  }

  async function act(work) {
    say("");
    try {
      await work();
      await showClaims();
      await showLedger();
    } catch (error) {
      say(error.message);
    }
  }

  computeMonth("/rebates/claims", act);
  $("#filter").addEventListener("submit", (event) => {
    event.preventDefault();
    act(async () => {});
  });
  $("#ledger-firm select").addEventListener("change", () => act(async () => {}));

  session({
    onStart: async () => {
      try {
        firms = await firmNames();
        firmChoices(firms);
        await showClaims();
      } catch (error) {
        say(error.message);
      }
    },
  });
})();
