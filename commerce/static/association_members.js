// The members of the association's collective trademark: licences and validity; admit, suspend, reinstate, revoke.
(function () {
  "use strict";

  const { $, api, badge, button, cell, element, everything, say, session, text } = window.Commerce;
  const ownEnterprise = Number(document.body.dataset.enterpriseId) || null;
  let firms = [];
  let markId = null;

  function path(membership) {
    return `/trademarks/${markId}/memberships/${membership.id}`;
  }

  // Before the mark is taken off a firm, the association is told what goes with it.
  async function confirmLapse(membership, extra) {
    const effects = await api("GET", `${path(membership)}/lapse-effects`);
    const told = text.effects
      .replace("{products}", effects.products)
      .replace("{listings}", effects.listings)
      .replace("{lineup_items}", effects.lineup_items);
    return window.confirm(extra ? `${extra}\n\n${told}` : told);
  }

  async function change(membership, status) {
    say("");
    try {
      let reason = null;
      if (status !== "active") {
        if (!(await confirmLapse(membership, status === "revoked" ? text.confirm_revoke : ""))) return;
        reason = window.prompt(text.reason_prompt, "");
        if (reason === null) return;
      }
      await api("PATCH", path(membership), { status, reason: reason || null });
      await show();
    } catch (error) {
      say(error.message);
    }
  }

  function rowOf(membership, names) {
    const actions = element("span", { className: "actions" });
    if (membership.status === "active") actions.append(button(text.suspend, "secondary suspend", () => change(membership, "suspended")));
    if (membership.status === "suspended") actions.append(button(text.reinstate, "secondary reinstate", () => change(membership, "active")));
    if (membership.status !== "revoked") actions.append(" ", button(text.revoke, "danger revoke", () => change(membership, "revoked")));
    const letter = `/api/v1${path(membership)}/authorization-letter?format=pdf`;
    const status = element("span", {}, badge(membership.status));
    if (membership.status_reason) status.append(element("div", { className: "note", textContent: membership.status_reason }));
    return element("tr", { dataset: { membershipId: membership.id, enterpriseId: membership.enterprise_id } },
      cell(names.get(membership.enterprise_id) || `#${membership.enterprise_id}`, "firm"),
      cell(membership.licence_no), cell(`${membership.valid_from} – ${membership.valid_to}`), cell(status, "status"), cell(actions),
      cell(element("span", { className: "downloads" },
        element("a", { href: `${letter}&lang=zh-CN`, textContent: text.chinese_pdf, download: "" }),
        element("a", { href: `${letter}&lang=en`, textContent: text.english_pdf, download: "" }))));
  }

  async function show() {
    const names = new Map(firms.map((firm) => [firm.id, firm.name]));
    const memberships = await everything(`/trademarks/${markId}/memberships`);
    $("#members tbody").replaceChildren(...memberships.map((membership) => rowOf(membership, names)));
    $("#nothing").hidden = memberships.length > 0;
    const current = new Set(memberships.filter((item) => item.status !== "revoked").map((item) => item.enterprise_id));
    $("#admit select[name=enterprise_id]").replaceChildren(
      ...firms.filter((firm) => ["manufacturer", "trader"].includes(firm.kind) && !current.has(firm.id))
        .map((firm) => element("option", { value: firm.id, textContent: firm.name })));
  }

  async function start() {
    try {
      const marks = (await everything("/trademarks")).filter((mark) => !ownEnterprise || mark.owner_enterprise_id === ownEnterprise);
      firms = await everything("/enterprises");
      $("#no-mark").hidden = marks.length > 0;
      $("#admit").hidden = marks.length === 0;
      if (!marks.length) return;
      const select = $("#mark select[name=trademark_id]");
      select.replaceChildren(...marks.map((mark) => element("option", { value: mark.id, textContent: `${mark.name} (${mark.registration_no})` })));
      markId = Number(select.value);
      select.addEventListener("change", () => {
        markId = Number(select.value);
        show().catch((error) => say(error.message));
      });
      const today = new Date().toISOString().slice(0, 10);
      $("#admit input[name=valid_from]").value = today;
      await show();
    } catch (error) {
      say(error.message);
    }
  }

  $("#admit").addEventListener("submit", async (event) => {
    event.preventDefault();
    say("");
    const form = event.target;
    try {
      await api("POST", `/trademarks/${markId}/memberships`, {
        enterprise_id: Number(form.elements.enterprise_id.value),
        licence_no: form.elements.licence_no.value.trim(),
        valid_from: form.elements.valid_from.value,
        valid_to: form.elements.valid_to.value,
      });
      form.elements.licence_no.value = "";
      await show();
    } catch (error) {
      say(error.message);
    }
  });
  session({ onStart: start });
})();
