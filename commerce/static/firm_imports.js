// Bulk import: a file dropped or chosen, sent with the error policy, followed until it is done, its row errors listed.
(function () {
  "use strict";

  const { $, api, cell, count, element, say, session, text } = window.Commerce;
  const enterpriseId = document.body.dataset.enterpriseId;
  const form = $("#upload");
  const finished = new Set(["succeeded", "completed_with_errors", "failed"]);
  const pollMilliseconds = 1000;
  let timer = null;

  function show(record) {
    $("#outcome").hidden = false;
    $("#filename").textContent = record.filename;
    const status = $("#import-status");
    status.textContent = text["status_" + record.status] || record.status;
    status.className = "badge " + record.status;
    const progress = $("#progress");
    if (finished.has(record.status)) progress.value = 100;
    else progress.removeAttribute("value"); // still going, its length unknown: an indeterminate bar
    $("#so-far").textContent = finished.has(record.status) || !record.checked_rows
      ? ""
      : text.checked_so_far.replace("{rows}", count.format(record.checked_rows));
    for (const name of ["total_rows", "ok_rows", "failed_rows", "created_products", "updated_products"]) {
      $("#" + name).textContent = count.format(record[name]);
    }
    $("#row-errors tbody").replaceChildren(
      ...record.errors.map((error) =>
        element("tr", {}, cell(error.row ? count.format(error.row) : "", "number"), cell(error.field), cell(error.message)),
      ),
    );
    $("#no-errors").hidden = record.errors.length > 0 || !finished.has(record.status);
    if (!finished.has(record.status)) timer = setTimeout(() => follow(record.id), pollMilliseconds);
  }

  async function follow(importId) {
    try {
      show(await api("GET", `/products/imports/${importId}`));
    } catch (error) {
      say(error.message);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearTimeout(timer);
    say("");
    const upload = new FormData(form);
    upload.append("enterprise_id", enterpriseId);
    try {
      show(await api("POST", "/products/imports", upload));
    } catch (error) {
      say(error.message);
    }
  });

  // A file dropped anywhere on the drop area is taken as if chosen.
  const drop = $("#drop");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) form.elements.file.files = event.dataTransfer.files;
  });

  session({ onStart: () => {}, onSignedOut: () => clearTimeout(timer) });
})();
