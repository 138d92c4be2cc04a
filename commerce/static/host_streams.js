// A host's streams: live now, upcoming and past, each with the way on (console, lineup, report); scheduling one.
(function () {
  "use strict";

  const { $, api, badge, button, count, element, everything, formatDateTime, say, session, text } = window.Commerce;

  function entry(stream) {
    const links = element("span", { className: "links" });
    if (stream.status === "live") links.append(element("a", { href: `/console/streams/${stream.id}`, className: "button", textContent: text.open_console }));
    if (stream.status === "scheduled") {
      links.append(
        element("a", { href: `/host/streams/${stream.id}/lineup`, className: "button", textContent: text.edit_lineup }),
        element("a", { href: `/console/streams/${stream.id}`, className: "button secondary", textContent: text.open_console }),
        button(text.cancel, "secondary cancel", async () => {
          if (!window.confirm(text.confirm_cancel)) return;
          try {
            await api("POST", `/streams/${stream.id}/cancel`);
            await show();
          } catch (error) {
            say(error.message);
          }
        }),
      );
    }
    if (stream.status === "ended") links.append(element("a", { href: `/host/streams/${stream.id}/report`, className: "button secondary", textContent: text.report }));
    return element("li", { dataset: { streamId: stream.id } },
      element("div", {}, element("strong", { className: "title", textContent: stream.title }), " ", badge(stream.status)),
      element("div", { className: "note", textContent: `${formatDateTime(stream.scheduled_start)} · ${stream.category} · ${count.format(stream.lineup.length)} ${text.items}` }),
      links);
  }

  async function show() {
    const streams = await everything("/streams");
    const groups = { live: [], scheduled: [], past: [] };
    for (const stream of streams) groups[stream.status === "live" || stream.status === "scheduled" ? stream.status : "past"].push(stream);
    groups.scheduled.sort((a, b) => (a.scheduled_start < b.scheduled_start ? -1 : 1));
    groups.past.sort((a, b) => (a.scheduled_start < b.scheduled_start ? 1 : -1));
    for (const [group, list] of Object.entries(groups)) {
      $(`#streams-${group}`).replaceChildren(...list.map(entry));
      $(`#none-${group}`).hidden = list.length > 0;
    }
  }

  $("#schedule").addEventListener("submit", async (event) => {
    event.preventDefault();
    say("");
    const form = event.target;
    try {
      const made = await api("POST", "/streams", {
        title: form.elements.title.value.trim(),
        category: form.elements.category.value.trim(),
        scheduled_start: new Date(form.elements.scheduled_start.value).toISOString(),
      });
      window.location.assign(`/host/streams/${made.id}/lineup`);
    } catch (error) {
      say(error.message);
    }
  });
  session({ onStart: () => show().catch((error) => say(error.message)) });
})();
