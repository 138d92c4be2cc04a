// What every page shares: the page's text, calls to the API as the signed-in person, downloads, formats.
window.Commerce = (function () {
  "use strict";

  const csrfToken = document.querySelector("meta[name=csrf-token]").content;
  const language = document.body.dataset.language;
  const text = JSON.parse(document.getElementById("page-text").textContent);
  const money = new Intl.NumberFormat(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const count = new Intl.NumberFormat(language);
  let signedOut = () => {};
  const changes = new Set(["POST", "PUT", "PATCH", "DELETE"]);

  const $ = (selector, scope) => (scope || document).querySelector(selector);

  function say(message) {
    $("#message").textContent = message || "";
  }

  // A refusal's message: the problem's detail, and what is wrong with each field it names.
  function problemOf(response, answer) {
    let message = (answer && (answer.detail || answer.title)) || response.statusText;
    // A form's fields each said with its name; a rule of the domain is said in its own words.
    const fields = (answer && answer.code === "validation_error" && answer.errors) || [];
    if (fields.length) message = fields.map((item) => `${item.field}: ${item.message}`).join("; ");
    const error = new Error(message);
    error.problem = answer;
    error.status = response.status;
    return error;
  }

  // The session cookie goes with every call; a change also carries the page's CSRF token.
  async function request(method, path, payload) {
    const headers = { "Accept-Language": language, Accept: "application/json" };
    if (changes.has(method)) headers["X-CSRFToken"] = csrfToken;
    let body;
    if (payload instanceof FormData) body = payload;
    else if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(payload);
    }
    const response = await fetch("/api/v1" + path, { method, headers, body, credentials: "same-origin" });
    if (response.status === 401) signIn();
    return response;
  }

  async function api(method, path, payload) {
    const response = await request(method, path, payload);
    const answer = response.status === 204 ? null : await response.json();
    if (!response.ok) throw problemOf(response, answer);
    return answer;
  }

  // Fetches a file with the token and hands it to the browser as a download.
  async function download(path, filename) {
    const response = await request("GET", path);
    if (!response.ok) throw problemOf(response, await response.json().catch(() => null));
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  // The session ended (expired, revoked, signed out elsewhere): sign in again and come back here.
  function signIn() {
    signedOut();
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
  }

  function formatMoney(value) {
    return value.currency + " " + money.format(Number(value.amount));
  }

  function element(tag, properties, ...children) {
    const node = document.createElement(tag);
    const { dataset, ...rest } = properties || {};
    Object.assign(node, rest);
    Object.assign(node.dataset, dataset || {});
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  function button(label, className, handler, disabled) {
    const node = element("button", { type: "button", textContent: label, className, disabled: Boolean(disabled) });
    node.addEventListener("click", handler);
    return node;
  }

  function cell(content, className) {
    return element("td", { className: className || "" }, content);
  }

  const dateTimeFormat = new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" });
  function formatDateTime(value) {
    return value ? dateTimeFormat.format(new Date(value)) : "";
  }

  // A status as a coloured label in the page's language (text.status_<value>).
  function badge(status) {
    return element("span", { className: "badge " + status, textContent: text["status_" + status] || status });
  }

  function picture(url, alt, size) {
    if (!url) return element("span", { className: "no-picture", ariaHidden: "true" });
    return element("img", { src: url, alt: alt || "", width: size || 48, height: size || 48, loading: "lazy" });
  }

  // Fills a table body page by page: the first page now, the next ones with the "more" button.
  function pager(path, tbody, rowsOf, moreButton) {
    let next = null;
    async function load(first) {
      const separator = path.includes("?") ? "&" : "?";
      const answer = await api("GET", first ? path : `${path}${separator}cursor=${encodeURIComponent(next)}`);
      const rows = answer.items.flatMap((item) => rowsOf(item));
      if (first) tbody.replaceChildren(...rows);
      else tbody.append(...rows);
      next = answer.next_cursor;
      if (moreButton) moreButton.hidden = !next;
      return answer;
    }
    if (moreButton) moreButton.onclick = () => load(false).catch((error) => say(error.message));
    return () => load(true);
  }

  // Every item of a list, page after page (for the short lists a page names things from: firms, marks).
  async function everything(path, most) {
    const items = [];
    let cursor = null;
    const separator = path.includes("?") ? "&" : "?";
    do {
      const answer = await api("GET", `${path}${separator}limit=100` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""));
      items.push(...answer.items);
      cursor = answer.next_cursor;
    } while (cursor && items.length < (most || 2000));
    return items;
  }

  // Reads each id's resource under path once into cache (a Map); one the person may not read is null.
  async function readEach(cache, ids, path) {
    const wanted = [...new Set(ids)].filter((id) => !cache.has(id));
    const found = await Promise.all(wanted.map((id) => api("GET", `${path}/${id}`).catch(() => null)));
    wanted.forEach((id, index) => cache.set(id, found[index]));
  }

  // An order line as people name it: its product's title, its SKU's code and the units, from the
  // products read (by id) into products.
  function lineName(products, line) {
    const product = products.get(line.product_id);
    const sku = product && product.skus.find((item) => item.id === line.sku_id);
    const name = product ? product.title : `#${line.product_id}`;
    return `${name} · ${sku ? sku.sku_code : "SKU " + line.sku_id} × ${count.format(line.quantity)}`;
  }

  // The names of the firms the person may see, by id.
  async function firmNames() {
    return new Map((await everything("/enterprises")).map((firm) => [firm.id, firm.name]));
  }

  // Every select.firms of the page offers the firms, by name.
  function firmChoices(names) {
    const sorted = [...names].sort((a, b) => a[1].localeCompare(b[1]));
    document.querySelectorAll("select.firms").forEach((select) =>
      select.append(...sorted.map(([id, name]) => element("option", { value: id, textContent: name }))));
  }

  // An action's runner: clears the message, does the work, shows the page afresh; a refusal is shown instead.
  function actionsThen(refresh) {
    return async (work) => {
      say("");
      try {
        await work();
        await refresh();
      } catch (error) {
        say(error.message);
      }
    };
  }

  // The page's #compute form of a month (every firm's, or one's): last month unless the person
  // chose another, posted to path through run; the #filter form then shows that month and the
  // page says how many were computed (text.computed).
  function computeMonth(path, run) {
    const form = $("#compute");
    if (!form.elements.period.value) form.elements.period.value = new Date(Date.now() - 31 * 86400000).toISOString().slice(0, 7);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { period: form.elements.period.value };
      if (form.elements.enterprise_id.value) body.enterprise_id = Number(form.elements.enterprise_id.value);
      run(async () => {
        const computed = await api("POST", path, body);
        $("#filter").elements.period.value = body.period;
        say(text.computed.replace("{count}", computed.items.length));
      });
    });
  }

  // Starts the page's work; onSignedOut stops what the page runs when the session ends.
  function session({ onStart, onSignedOut }) {
    signedOut = onSignedOut || (() => {});
    onStart();
  }

  return {
    $, actionsThen, api, badge, button, cell, computeMonth, count, download, element, everything, firmChoices, firmNames, formatDateTime,
    formatMoney, language, lineName, money, pager, picture, readEach, say, session, text,
  };
})();
