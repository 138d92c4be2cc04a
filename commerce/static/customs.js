// The trade operator's customs pages: the batches, and one batch with its declarations, messages and receipts.
(function () {
  "use strict";

  const { $, api, button, count, download, element, everything, formatMoney, language, say, session, text } = window.Commerce;
  const codeNames = JSON.parse(document.getElementById("code-names").textContent);
  const countryNames = new Intl.DisplayNames([language], { type: "region" });
  let firmByCode = new Map(); // USCC -> firm name

  // A code with its name in the page's language: "5 航空运输", "0401 Shijiazhuang Customs", "US 美国".
  function named(table, code) {
    if (!code) return "";
    const name = table === "country" ? safeCountry(code) : (codeNames[table] || {})[code];
    return name ? `${code} ${name}` : code;
  }

  function safeCountry(code) {
    try {
      return countryNames.of(code);
    } catch (error) {
      return null;
    }
  }

  function firmNamed(uscc) {
    const name = firmByCode.get(uscc);
    return name ? `${name} (${uscc})` : uscc;
  }
  const batchId = document.body.dataset.batchId;
  const refreshMilliseconds = 5000;
  const dateTime = new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Shanghai" });
  const messageKinds = { inventory_list: ["CEB603", "CEB303", "CEB403", "CEB505"], summary: ["CEB701"], declaration: ["DEC"] };
  let me = null;
  let batch = null;
  let openDeclaration = null;
  let timer = null;
  // Whether the open list waits on customs' answer to its cancellation: the page keeps asking meanwhile.
  let awaitingCancellation = false;

  const statusText = (status) => text["status_" + status] || status;
  const kindText = (kind) => text["kind_" + kind] || kind;
  const isOperator = () => me && (me.role === "trade_operator" || me.role === "admin");
  const formatTime = (value) => (value ? dateTime.format(new Date(value)) : "");

  function badge(status) {
    return element("span", { className: "badge " + status, textContent: statusText(status) });
  }

  function cells(row, values) {
    for (const [className, value] of values) {
      row.appendChild(element("td", { className }, value));
    }
    return row;
  }

  function facts(list, entries) {
    list.replaceChildren(
      ...entries
        .filter(([, value]) => value !== null && value !== undefined && value !== "")
        .flatMap(([label, value, name]) => [element("dt", { textContent: label }), element("dd", { className: name || "" }, value)]),
    );
  }

  function batchLink(id) {
    return element("a", { href: `/console/customs/batches/${id}`, textContent: "#" + id });
  }

  async function whoAmI() {
    if (!me) me = await api("GET", "/users/me");
    return me;
  }

  // The list of batches -----------------------------------------------------------------------

  let cursor = null;

  function batchRow(item) {
    const row = element("tr");
    row.dataset.batchId = item.id;
    return cells(row, [
      ["batch", batchLink(item.id)],
      ["mode", item.customs_mode],
      ["kind", kindText(item.kind)],
      ["period", item.period || ""],
      ["version", String(item.version)],
      ["status", badge(item.status)],
      ["number orders", count.format(item.orders)],
      ["number declarations", count.format(item.declarations.length)],
      ["due", item.due_date || ""],
      ["warnings", item.warnings.map((warning) => warning.message).join(" ")],
    ]);
  }

  async function loadBatches(more) {
    const filter = new FormData($("#filter"));
    const query = new URLSearchParams({ limit: "50" });
    for (const name of ["customs_mode", "status"]) if (filter.get(name)) query.set(name, filter.get(name));
    if (more && cursor) query.set("cursor", cursor);
    try {
      const page = await api("GET", "/customs/batches?" + query);
      const rows = page.items.map(batchRow);
      if (more) $("#batches tbody").append(...rows);
      else $("#batches tbody").replaceChildren(...rows);
      cursor = page.next_cursor;
      $("#more").hidden = !cursor;
    } catch (error) {
      say(error.message);
    }
  }

  function startList() {
    whoAmI()
      .then(() => ($("#form-batch").closest("section").hidden = !isOperator()))
      .catch((error) => say(error.message));
    loadBatches(false);
    $("#filter").addEventListener("submit", (event) => {
      event.preventDefault();
      loadBatches(false);
    });
    $("#more").addEventListener("click", () => loadBatches(true));
    $("#form-batch").addEventListener("submit", async (event) => {
      event.preventDefault();
      say("");
      const form = new FormData(event.target);
      const payload = { customs_mode: form.get("customs_mode") };
      if (form.get("period")) payload.period = form.get("period");
      try {
        const formed = await api("POST", "/customs/batches", payload);
        window.location.assign(`/console/customs/batches/${formed.id}`);
      } catch (error) {
        say(error.message);
      }
    });
  }

  // One batch ---------------------------------------------------------------------------------

  function renderBatch() {
    const status = $("#batch-status");
    status.textContent = statusText(batch.status);
    status.className = "badge " + batch.status;
    facts($("#batch"), [
      [text.customs_mode, batch.customs_mode, "mode"],
      [text.kind, kindText(batch.kind), "kind"],
      [text.period, batch.period, "period"],
      [text.version, String(batch.version), "version"],
      [text.orders, count.format(batch.orders), "orders"],
      [text.due_date, batch.due_date, "due"],
      [text.created_at, formatTime(batch.created_at)],
      [text.submitted_at, formatTime(batch.submitted_at), "submitted"],
      [text.previous_version, batch.previous_id && batchLink(batch.previous_id), "previous"],
      [text.superseded_by, batch.superseded_by_id && batchLink(batch.superseded_by_id), "superseded"],
    ]);
    $("#warnings").replaceChildren(
      ...batch.warnings.map((warning) => element("li", { className: warning.code, textContent: warning.message })),
    );
    const operator = isOperator();
    $("#submit").hidden = !operator || batch.status !== "draft";
    $("#discard").hidden = !operator || batch.status !== "draft";
    $("#revise").hidden = !operator || batch.status !== "rejected" || batch.superseded_by_id !== null;
    const rows = batch.declarations.map((item) => {
      const row = element("tr");
      row.dataset.declarationId = item.id;
      if (openDeclaration === item.id) row.classList.add("open");
      return cells(row, [
        ["seq", String(item.seq_no)],
        ["cop", item.cop_no],
        ["kind", kindText(item.kind)],
        ["status", badge(item.status)],
        ["entry", item.entry_id || ""],
        ["owner", firmNamed(item.owner_code)],
        ["arrival", named("country", item.arrival_country)],
        ["number lines", count.format(item.lines)],
        ["open", button(text.open, "open secondary", () => showDeclaration(item.id))],
      ]);
    });
    $("#declarations tbody").replaceChildren(...rows);
  }

  function firmsOf(line) {
    return element(
      "ul",
      { className: "firm-list" },
      ...line.firms.map((firm) =>
        element("li", {
          textContent: `${firm.name} (${firm.uscc}) · ${count.format(firm.quantity)} · #${firm.order_ids.join(", #")}`,
        }),
      ),
    );
  }

  function renderDeclaration(declaration) {
    const panel = $("#declaration");
    const header = declaration.header;
    $(".title", panel).textContent = `${kindText(declaration.kind)} ${declaration.cop_no}`;
    const status = $(".status", panel);
    status.textContent = statusText(declaration.status);
    status.className = "badge status " + declaration.status;
    const kinds = declaration.kind === "inventory_list" ? messageKinds.inventory_list : batch.kind === "summary" ? messageKinds.summary : messageKinds.declaration;
    $(".downloads", panel).replaceChildren(
      ...(isOperator()
        ? kinds.map((kind) =>
            button(`${text.download} ${kind}`, "download secondary", () =>
              download(`/customs/declarations/${declaration.id}/message?kind=${kind}`, `${declaration.cop_no}-${kind}.xml`).catch((error) =>
                say(error.message),
              ),
            ),
          )
        : []),
    );
    const yesNo = (value) => (value ? text.yes : text.no);
    facts($(".header", panel), [
      [text.entry_id, declaration.entry_id, "entry"],
      [text.consignor, `${header.consignor_name} (${header.consignor_code})`, "consignor"],
      [text.producing_firm, `${header.owner_name} (${header.owner_code})`, "owner"],
      [text.customs_mode, header.customs_mode],
      [text.transport_mode, named("transport_mode", header.traf_mode), "transport-mode"],
      [text.arrival_country, named("country", header.arrival_country), "arrival"],
      [text.exit_port, named("customs_office", header.exit_port), "exit-port"],
      [text.declaring_customs, named("customs_office", header.declaring_customs), "declaring-customs"],
      [text.source_region, header.source_region, "source-region"],
      [text.trade_terms, header.trade_terms],
      [text.gross_weight, header.gross_weight_kg],
      [text.value_cny, header.value_cny, "value-cny"],
      [text.value_usd, header.value_usd, "value-usd"],
      [text.simplified_eligible, yesNo(header.simplified_eligible), "simplified"],
      [text.rebate_eligible, yesNo(header.rebate_eligible), "rebate"],
      [text.customs_note, declaration.customs_note, "note"],
    ]);
    $(".lines tbody", panel).replaceChildren(
      ...declaration.lines.map((line) => {
        const row = element("tr");
        row.dataset.lineNo = line.line_no;
        return cells(row, [
          ["line", String(line.line_no)],
          ["hs", line.hs_code],
          ["goods", [line.goods_name, line.goods_model].filter(Boolean).join(" · ")],
          ["destination", line.destination_country],
          ["number quantity", `${line.quantity} ${line.unit}`],
          ["number unit-price", line.unit_price],
          ["number total", formatMoney(line.total_price)],
          ["firms", firmsOf(line)],
        ]);
      }),
    );
    const lists = $(".inventory-lists", panel);
    lists.hidden = declaration.inventory_list_ids.length === 0;
    $("span", lists).textContent = declaration.inventory_list_ids.map((id) => "#" + id).join(", ");
    $(".receipts tbody", panel).replaceChildren(
      ...declaration.receipts.map((receipt) =>
        cells(element("tr"), [
          ["at", formatTime(receipt.at)],
          ["source", receipt.source],
          ["status", badge(receipt.status)],
          ["entry", receipt.entry_id || ""],
          ["note", receipt.message || ""],
        ]),
      ),
    );
    $(".no-receipts", panel).hidden = declaration.receipts.length > 0;
    $("#record-receipt").hidden = !isOperator() || !["submitted", "accepted"].includes(declaration.status);
    panel.hidden = false;
    showReturns(declaration).catch((error) => say(error.message));
    showCancellations(declaration).catch((error) => say(error.message));
  }

  // An inventory list customs has numbered may be cancelled before its goods leave (CEB605).
  async function showCancellations(declaration) {
    const part = $(".cancellation", $("#declaration"));
    const numbered = declaration.kind === "inventory_list" && Boolean(declaration.entry_id);
    part.hidden = !numbered;
    if (!numbered) return;
    const { items } = await api("GET", `/customs/declarations/${declaration.id}/cancellations`);
    $(".cancellations tbody", part).replaceChildren(...items.map((item) =>
      cells(element("tr"), [
        ["at", formatTime(item.requested_at)],
        ["status", badge(item.status)],
        ["reason", item.reason],
        ["note", item.customs_note || ""],
      ])));
    $(".no-cancellations", part).hidden = items.length > 0;
    const standing = items.some((item) => item.status !== "refused");
    awaitingCancellation = items.some((item) => item.status === "requested");
    $("#ask-cancellation").hidden =
      !isOperator() || standing || !["accepted", "cleared"].includes(declaration.status);
  }

  // A released declaration's export returns; the operator records one on any of its lines.
  async function showReturns(declaration) {
    const part = $(".returns", $("#declaration"));
    const released = declaration.status === "cleared" && declaration.kind === "declaration";
    part.hidden = !released;
    if (!released) return;
    const { items } = await api("GET", `/customs/declarations/${declaration.id}/returns`);
    $(".returned tbody", part).replaceChildren(...items.map((item) =>
      cells(element("tr"), [
        ["on", item.returned_on],
        ["line", String(item.line_no)],
        ["number quantity", item.quantity],
        ["reference", item.reference],
        ["reason", item.reason],
      ])));
    $(".no-returns", part).hidden = items.length > 0;
    const form = $("#record-return");
    form.hidden = !isOperator();
    form.elements.line_no.replaceChildren(...declaration.lines.map((line) =>
      element("option", { value: line.line_no, textContent: `${line.line_no} · ${line.hs_code} · ${line.goods_name}` })));
  }

  async function showDeclaration(id) {
    say("");
    try {
      openDeclaration = id;
      renderDeclaration(await api("GET", `/customs/declarations/${id}`));
      renderBatch();
    } catch (error) {
      say(error.message);
    }
  }

  async function refreshBatch() {
    try {
      await whoAmI();
      batch = await api("GET", `/customs/batches/${batchId}`);
      renderBatch();
      if (openDeclaration !== null) renderDeclaration(await api("GET", `/customs/declarations/${openDeclaration}`));
    } catch (error) {
      say(error.message);
    }
  }

  const act = window.Commerce.actionsThen(refreshBatch);

  async function startBatch() {
    firmByCode = new Map((await everything("/enterprises").catch(() => [])).map((firm) => [firm.uscc, firm.name]));
    refreshBatch();
    clearInterval(timer);
    // Customs answers a submitted batch over minutes: keep its status current while waiting.
    timer = setInterval(() => {
      if ((batch && ["submitted", "accepted"].includes(batch.status)) || awaitingCancellation) refreshBatch();
    }, refreshMilliseconds);
  }

  if (batchId) {
    $("#submit").addEventListener("click", () => {
      if (window.confirm(text.confirm_submit)) act(() => api("POST", `/customs/batches/${batchId}/submit`));
    });
    $("#discard").addEventListener("click", async () => {
      if (!window.confirm(text.confirm_discard)) return;
      try {
        await api("DELETE", `/customs/batches/${batchId}`);
        window.location.assign("/console/customs");
      } catch (error) {
        say(error.message);
      }
    });
    $("#revise").addEventListener("click", async () => {
      try {
        const revised = await api("POST", `/customs/batches/${batchId}/revise`);
        window.location.assign(`/console/customs/batches/${revised.id}`);
      } catch (error) {
        say(error.message);
      }
    });
    $("#record-receipt").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const payload = { declaration_id: openDeclaration, status: form.get("status") };
      for (const name of ["entry_id", "message"]) if (form.get(name)) payload[name] = form.get(name);
      act(async () => {
        await api("POST", `/customs/batches/${batchId}/receipts`, payload);
        event.target.reset();
      });
    });
    $("#record-return").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.target;
      const payload = {
        line_no: Number(form.elements.line_no.value),
        quantity: form.elements.quantity.value.trim(),
        returned_on: form.elements.returned_on.value,
        reference: form.elements.reference.value.trim(),
        reason: form.elements.reason.value.trim(),
        original_state: form.elements.original_state.checked,
      };
      act(async () => {
        await api("POST", `/customs/declarations/${openDeclaration}/returns`, payload);
        form.reset();
      });
    });
    $("#ask-cancellation").addEventListener("submit", (event) => {
      event.preventDefault();
      const form = event.target;
      if (!window.confirm(text.confirm_cancellation)) return;
      act(async () => {
        await api("POST", `/customs/declarations/${openDeclaration}/cancellations`, {
          reason: form.elements.reason.value.trim(),
        });
        form.reset();
      });
    });
    session({ onStart: startBatch, onSignedOut: () => clearInterval(timer) });
  } else {
    session({ onStart: startList });
  }
})();
