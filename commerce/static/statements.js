// Statements: a firm reads its months and their lines and downloads them; the platform's finance
// staff also compute a month's, approve them once the month is over and record the payment.
(function () {
  "use strict";

  const { $, actionsThen, api, badge, button, cell, computeMonth, download, element, firmChoices, firmNames, formatMoney, language, pager, say, session, text } =
    window.Commerce;
  const keeper = $("#statements").dataset.keeper === "true";
  // A line's day as the statement counts it: in China time.
  const day = new Intl.DateTimeFormat(language, { dateStyle: "medium", timeZone: "Asia/Shanghai" });
  let firms = new Map();
  let shown = null; // the statement whose lines are open

  function paymentForm(statement, run) {
    const form = element("form", { className: "inline pay" },
      element("label", {}, text.paid_on, element("input", { name: "paid_on", type: "date", required: true })),
      element("label", {}, text.reference, element("input", { name: "reference", required: true, maxLength: 60, size: 12 })),
      element("button", { type: "submit", className: "secondary", textContent: text.record }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run(() => api("POST", `/settlement/statements/${statement.id}/paid`, {
        paid_on: form.elements.paid_on.value,
        reference: form.elements.reference.value.trim(),
      }));
    });
    return element("details", {}, element("summary", { textContent: text.pay }), form);
  }

  function fileName(statement, format) {
    return `statement-${statement.period}-${statement.enterprise_id}-${statement.currency}.${format}`;
  }

  function actionsOf(statement, run) {
    const path = `/settlement/statements/${statement.id}`;
    const actions = element("div", { className: "actions" },
      button(text.open, "open", () => showLines(statement).catch((error) => say(error.message))),
      ...["xlsx", "pdf"].map((format) => button(text[format], format, () =>
        download(`${path}/file?format=${format}`, fileName(statement, format)).catch((error) => say(error.message)))));
    if (keeper && statement.status === "draft") {
      actions.append(button(text.approve, "approve", () => {
        if (window.confirm(text.confirm_approve)) run(() => api("POST", `${path}/approve`));
      }));
    }
    if (keeper && statement.status === "approved") actions.append(paymentForm(statement, run));
    return actions;
  }

  function rowOf(statement) {
    const cells = [];
    if (keeper) cells.push(cell(firms.get(statement.enterprise_id) || `#${statement.enterprise_id}`, "firm"));
    cells.push(
      cell(`${statement.period} · ${statement.currency}`),
      cell(badge(statement.status), "status"),
      ...["gross", "refunds", "host_commission", "platform_fee", "net_payable"].map((name) =>
        cell(formatMoney(statement[name]), "number " + name.replaceAll("_", "-"))),
      cell(actionsOf(statement, run)));
    return [element("tr", { dataset: { statementId: statement.id, enterpriseId: statement.enterprise_id } }, ...cells)];
  }

  function lineOf(line) {
    return [element("tr", { dataset: { lineId: line.id } },
      cell(day.format(new Date(line.at))),
      cell(text["kind_" + line.kind] || line.kind),
      cell(`${line.channel} · ${line.external_id}`, "order"),
      ...["amount", "host_commission", "platform_fee", "net"].map((name) => cell(formatMoney(line[name]), "number " + name.replaceAll("_", "-"))))];
  }

  async function showLines(statement) {
    shown = statement;
    const firm = keeper ? (firms.get(statement.enterprise_id) || `#${statement.enterprise_id}`) + " · " : "";
    $("#statement-title").textContent = `${text.lines_of} · ${firm}${statement.period} · ${statement.currency}`;
    $("#statement").hidden = false;
    await pager(`/settlement/statements/${statement.id}/lines`, $("#lines tbody"), lineOf, $("#more-lines"))();
  }

  // The platform's account of the month shown (finance staff only).
  async function showAccount(period) {
    const section = $("#account");
    const items = period ? (await api("GET", `/settlement/account?period=${period}`)).items : [];
    section.hidden = items.length === 0;
    $("#account-figures tbody").replaceChildren(...items.map((item) => element("tr", { dataset: { currency: item.currency } },
      cell(item.currency),
      ...["collected", "marketplace_fees", "paid_to_firms", "owed_to_firms", "owed_to_hosts", "platform_fee", "held"].map((name) =>
        cell(formatMoney(item[name]), "number " + name.replaceAll("_", "-"))))));
  }

  async function showStatements() {
    const filter = $("#filter");
    const query = new URLSearchParams();
    if (filter.elements.period.value) query.set("period", filter.elements.period.value);
    if (filter.elements.status.value) query.set("status", filter.elements.status.value);
    const answer = await pager("/settlement/statements?" + query.toString(), $("#statements tbody"), rowOf, $("#more"))();
    $("#nothing").hidden = answer.items.length > 0;
    if (shown && !answer.items.some((item) => item.id === shown.id)) $("#statement").hidden = true;
    if (keeper) await showAccount(filter.elements.period.value);
  }

  const run = actionsThen(showStatements);

  if (keeper) computeMonth("/settlement/statements", run);
  $("#filter").addEventListener("submit", (event) => {
    event.preventDefault();
    run(async () => {});
  });

  session({
    onStart: async () => {
      try {
        if (keeper) {
          firms = await firmNames();
          firmChoices(firms);
        }
        await showStatements();
      } catch (error) {
        say(error.message);
      }
    },
  });
})();
