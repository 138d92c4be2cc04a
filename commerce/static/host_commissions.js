// A host's commission per stream in a month's statements, and how much of it is settled.
(function () {
  "use strict";

  const { $, actionsThen, api, cell, element, formatMoney, session } = window.Commerce;
  const filter = $("#filter");

  async function showCommissions() {
    const answer = await api("GET", `/settlement/commissions?period=${filter.elements.period.value}`);
    $("#commissions tbody").replaceChildren(...answer.items.map((item) =>
      element("tr", { dataset: { streamId: item.stream_id } },
        cell(item.stream_title),
        ...["commission", "settled", "sales"].map((name) => cell(formatMoney(item[name]), "number " + name)))));
    $("#nothing").hidden = answer.items.length > 0;
  }

  const run = actionsThen(showCommissions);
  // This month, whose statements the platform computes as it goes, unless the person chose another.
  if (!filter.elements.period.value) filter.elements.period.value = new Date().toISOString().slice(0, 7);
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    run(async () => {});
  });
  session({ onStart: () => run(async () => {}) });
})();
