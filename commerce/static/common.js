// What every console page shares: the page's text, calls to the API with the signed-in token, sign-in, formats.
window.Commerce = (function () {
  "use strict";

  const tokenKey = "commerce.console.token";
  const language = document.body.dataset.language;
  const text = JSON.parse(document.getElementById("page-text").textContent);
  const money = new Intl.NumberFormat(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const count = new Intl.NumberFormat(language);
  let signedOut = () => {};

  const $ = (selector, scope) => (scope || document).querySelector(selector);

  function say(message) {
    $("#message").textContent = message || "";
  }

  function problemOf(response, answer) {
    const error = new Error((answer && (answer.detail || answer.title)) || response.statusText);
    error.problem = answer;
    error.status = response.status;
    return error;
  }

  async function request(method, path, payload) {
    const headers = { "Accept-Language": language };
    const token = sessionStorage.getItem(tokenKey);
    if (token) headers.Authorization = "Bearer " + token;
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch("/api/v1" + path, {
      method,
      headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    if (response.status === 401) {
      sessionStorage.removeItem(tokenKey);
      showLogin();
    }
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

  function showLogin() {
    signedOut();
    $("#login").hidden = false;
    $("main").hidden = true;
  }

  function formatMoney(value) {
    return value.currency + " " + money.format(Number(value.amount));
  }

  function element(tag, properties, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, properties || {});
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  function button(label, className, handler, disabled) {
    const node = element("button", { type: "button", textContent: label, className, disabled: Boolean(disabled) });
    node.addEventListener("click", handler);
    return node;
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

  // Shows the page once signed in (now, or after the sign-in form); onSignedOut stops what the page runs.
  function session({ onStart, onSignedOut }) {
    signedOut = onSignedOut || (() => {});
    const begin = () => {
      say("");
      $("#login").hidden = true;
      $("main").hidden = false;
      onStart();
    };
    $("#login").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      try {
        const answer = await api("POST", "/auth/tokens", { email: form.get("email"), password: form.get("password") });
        sessionStorage.setItem(tokenKey, answer.token);
        begin();
      } catch (error) {
        say(error.message);
      }
    });
    if (sessionStorage.getItem(tokenKey)) begin();
    else showLogin();
  }

  return { $, actionsThen, api, button, count, download, element, formatMoney, language, money, say, session, text };
})();
