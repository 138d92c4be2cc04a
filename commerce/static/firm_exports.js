// A firm's rebate claims with what each still needs, and its rebate ledger.
(function () {
  "use strict";

  const { $, api, badge, cell, element, everything, formatDateTime, formatMoney, language, say, session, text } = window.Commerce;
  const enterpriseId = document.body.dataset.enterpriseId;
  const countries = new Intl.DisplayNames([language], { type: "region" });

  // The declarations holding the firm's goods, newest batch first.
  async function showDeclarations() {
    const batches = await everything("/customs/batches", 500);
    const rows = batches.reverse().flatMap((batch) => batch.declarations.map((declaration) =>
      element("tr", { dataset: { declarationId: declaration.id } },
        cell(batch.customs_mode), cell(declaration.cop_no), cell(badge(declaration.status)), cell(declaration.entry_id || ""),
        cell(declaration.arrival_country ? `${declaration.arrival_country} ${countries.of(declaration.arrival_country)}` : ""),
        cell(formatDateTime(batch.submitted_at)))));
    $("#declarations tbody").replaceChildren(...rows);
    $("#no-declarations").hidden = rows.length > 0;
  }

  function claimRow(claim) {
    const missing = claim.missing.length
      ? element("ul", { className: "missing" }, ...claim.missing.map((item) => element("li", { textContent: item.message })))
      : text.nothing_missing;
    return element("tr", { dataset: { claimId: claim.id } },
      cell("#" + claim.id), cell(claim.period), cell(badge(claim.status)), cell(formatMoney(claim.amount), "number"), cell(missing));
  }

  async function show() {
    try {
      await showDeclarations();
      const claims = await api("GET", `/rebates/claims?enterprise_id=${enterpriseId}&limit=100`);
      $("#claims tbody").replaceChildren(...claims.items.map(claimRow));
      $("#no-claims").hidden = claims.items.length > 0;
      const ledger = await api("GET", `/rebates/ledger/${enterpriseId}`);
      for (const name of ["claimed", "refunded", "receivable", "to_repay"]) $("#" + name).textContent = formatMoney(ledger.balances[name]);
      $("#ledger tbody").replaceChildren(
        ...ledger.entries.map((entry) =>
          element("tr", {}, cell(entry.on), cell(`${entry.kind} · ${entry.reference}`), cell(formatMoney(entry.amount), "number"),
            cell(formatMoney(entry.receivable), "number"))),
      );
      $("#no-entries").hidden = ledger.entries.length > 0;
    } catch (error) {
      say(error.message);
    }
  }

  session({ onStart: show });
})();
