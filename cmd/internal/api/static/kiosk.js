// Traveller display: shows the instruction the lane asks for, in the
// traveller's language, and follows the lane by long polling /kiosk/state.
"use strict";
(function () {
  const i18n = JSON.parse(document.getElementById("i18n").textContent);
  let cur = JSON.parse(document.getElementById("initial").textContent);
  let lang = document.documentElement.lang || i18n.default;
  const $ = (id) => document.getElementById(id);

  function text(msg, l) {
    const t = i18n.instructions[msg] || i18n.instructions["please_wait"];
    return t[l] || t[i18n.languages[0].code];
  }

  function render() {
    const t = text(cur.message, lang);
    document.body.dataset.msg = cur.message;
    document.body.dataset.state = cur.state;
    document.documentElement.lang = lang;
    $("title").textContent = t.title;
    $("sub").textContent = t.sub;
    $("pict-use").setAttribute("href", "#p-" + (i18n.instructions[cur.message] ? cur.message : "please_wait"));
    $("offline").textContent = i18n.chrome[lang].offline;
    document.querySelector(".langs").setAttribute("aria-label", i18n.chrome[lang].language);
    for (const b of document.querySelectorAll(".lang")) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
    }
  }

  for (const b of document.querySelectorAll(".lang")) {
    b.addEventListener("click", () => {
      lang = b.dataset.lang;
      render();
    });
  }

  function update(next) {
    // The next traveller starts in the display's own language.
    if (next.state === "ready" && cur.state !== "ready") {
      lang = i18n.default;
    }
    cur = next;
    render();
  }

  async function follow() {
    let delay = 0;
    for (;;) {
      if (delay) {
        await new Promise((r) => setTimeout(r, delay));
      }
      try {
        const r = await fetch("/kiosk/state?wait=25s&have=" + encodeURIComponent(cur.key), { cache: "no-store" });
        if (!r.ok) {
          throw new Error(String(r.status));
        }
        const next = await r.json();
        $("offline").hidden = true;
        if (next.key !== cur.key) {
          update(next);
        }
        delay = 0;
      } catch (e) {
        $("offline").hidden = false;
        delay = 1000;
      }
    }
  }

  render();
  follow();
})();
