// A firm's memberships of collective trademarks, each with its letter of authorisation in Chinese and English.
(function () {
  "use strict";

  const { $, api, badge, cell, element, say, session, text } = window.Commerce;

  async function show() {
    try {
      const marks = await api("GET", "/trademarks?limit=100");
      const memberships = await Promise.all(
        marks.items.map((mark) => api("GET", `/trademarks/${mark.id}/memberships?limit=100`).then((page) => page.items.map((item) => ({ mark, item })))),
      );
      const rows = memberships.flat().map(({ mark, item }) => {
        const letter = `/api/v1/trademarks/${mark.id}/memberships/${item.id}/authorization-letter?format=pdf`;
        const links = element("span", { className: "downloads" },
          element("a", { href: `${letter}&lang=zh-CN`, textContent: text.chinese_pdf, className: "letter-zh", download: "" }),
          element("a", { href: `${letter}&lang=en`, textContent: text.english_pdf, className: "letter-en", download: "" }));
        return element("tr", { dataset: { membershipId: item.id } },
          cell(mark.name), cell(item.licence_no), cell(`${item.valid_from} – ${item.valid_to}`), cell(badge(item.status)), cell(links));
      });
      $("#memberships tbody").replaceChildren(...rows);
      $("#nothing").hidden = rows.length > 0;
    } catch (error) {
      say(error.message);
    }
  }

  session({ onStart: show });
})();
