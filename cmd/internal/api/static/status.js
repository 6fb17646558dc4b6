// Technician's status page: renders GET /api/v1/status and follows it by
// long polling; maintenance buttons call the local API with the page cookie.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let cur = JSON.parse($("initial").textContent);
  const passageStates = ["doc_check", "entering", "verifying", "exiting", "rejecting", "referral"];

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function hhmmss(t) {
    const d = new Date(t);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }
  function ago(t) {
    const s = Math.max(0, Math.round((Date.now() - new Date(t)) / 1000));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function words(s) { return String(s).replace(/_/g, " "); }

  function renderDiagram(st) {
    const two = st.lane.type !== "one-step";
    $("zone-label").textContent = two ? "mantrap" : "verification zone";
    for (const name of ["entry", "exit"]) {
      const g = $("door-" + name);
      const d = st.doors[name];
      g.setAttribute("class", "door" + (d ? " " + d.position : " absent") + (st.faults["door." + name] ? " fault" : ""));
      if (d) {
        let t = d.position;
        if (!d.reached) t += " → " + d.commanded;
        if (st.faults["door." + name]) t += " (fault)";
        $("door-" + name + "-pos").textContent = t;
      }
      $("light-" + name).setAttribute("class", "light " + (st.indicate[name] || "off"));
    }
    for (const g of document.querySelectorAll("#diagram .beam")) {
      const b = g.dataset.beam;
      if (!(b in st.beams)) { g.setAttribute("class", "beam absent"); continue; }
      g.setAttribute("class", "beam " + (st.beams[b] ? "broken" : "clear"));
    }
    const presence = !!st.beams.presence, multi = !!st.beams.multi;
    $("zone").setAttribute("class", "zone" + (multi ? " multi" : presence ? " occupied" : ""));
    $("person1").setAttribute("class", "person" + (presence || multi ? " on" : ""));
    $("person2").setAttribute("class", "person" + (multi ? " on" : ""));
    $("multi").setAttribute("class", "multi" + (multi ? " on" : ""));
    $("buzzer").setAttribute("class", "buzzer" + (st.indicate.buzzer ? " on" : ""));
    $("screen").textContent = "Traveller screen: " + words(st.indicate.message || "(nothing)") +
      " · pictograms entry " + st.indicate.entry + ", exit " + st.indicate.exit;
  }

  function renderDevices(st) {
    const ul = $("devices");
    ul.replaceChildren();
    for (const d of st.devices) {
      const li = el("li");
      li.append(el("span", "name", words(d.name)), el("span", "detail", d.detail || ""), el("span", "pill " + d.status, d.status));
      ul.append(li);
    }
  }

  function renderCounters(st) {
    const c = st.counters, dl = $("counters");
    dl.replaceChildren();
    const add = (k, v) => { dl.append(el("dt", "", k), el("dd", "", String(v))); };
    const sum = (m) => Object.values(m || {}).reduce((a, b) => a + b, 0);
    add("decisions", sum(c.decisions));
    for (const k of ["accept", "reject", "refer", "abandoned", "aborted"]) {
      if (c.decisions && c.decisions[k]) add("  " + k, c.decisions[k]);
    }
    add("alarms", sum(c.alarms));
    add("faults", sum(c.faults));
    for (const [d, n] of Object.entries(c.door_cycles || {})) add(d + " door cycles", n);
    add("commands", c.commands || 0);
    $("counters-since").textContent = "since " + new Date(c.since).toLocaleString([], { hour12: false });
  }

  function row(cells, cls) {
    const tr = el("tr", cls);
    for (const c of cells) {
      const td = el("td");
      if (c instanceof Node) td.append(c); else td.textContent = c;
      tr.append(td);
    }
    return tr;
  }
  function emptyRow(n, text) {
    const tr = el("tr"), td = el("td", "empty", text);
    td.colSpan = n;
    tr.append(td);
    return tr;
  }

  function renderLists(st) {
    const a = $("alarms");
    a.replaceChildren();
    for (const e of st.alarms) a.append(row([hhmmss(e.at), words(e.detail.kind || ""), e.detail.detail || ""]));
    if (!st.alarms.length) a.append(emptyRow(3, "no alarms"));
    const d = $("decisions");
    d.replaceChildren();
    for (const p of st.decisions) {
      d.append(row([hhmmss(p.end), "#" + p.passage, el("span", "pill " + p.outcome, p.outcome),
        p.reasons.join(", ") || "—", p.alarms.join(", ") || "—", (p.time_in_lane_ms / 1000).toFixed(1) + " s"]));
    }
    if (!st.decisions.length) d.append(emptyRow(6, "no passages yet"));
  }

  function renderHeader(st) {
    $("lane-id").textContent = st.lane.id;
    $("lane-site").textContent = st.lane.site;
    $("lane-type").textContent = st.lane.type + " · " + st.version;
    const b = $("state");
    b.textContent = words(st.state);
    b.className = "badge s-" + st.state;
    $("since").textContent = "for " + ago(st.since) + (st.passage ? " · passage #" + st.passage : "");
    const banner = $("banner");
    const faults = Object.entries(st.faults);
    if (st.emergency) {
      banner.hidden = false;
      banner.textContent = "EMERGENCY: every door is held open";
    } else if (faults.length) {
      banner.hidden = false;
      banner.textContent = "Fault: " + faults.map(([k, v]) => k + ": " + v).join("; ");
    } else {
      banner.hidden = true;
    }
    const inM = st.state === "maintenance";
    for (const btn of document.querySelectorAll(".needs-m")) btn.disabled = !inM;
    for (const btn of document.querySelectorAll(".two-step")) btn.hidden = st.lane.type === "one-step";
    $("m-on").disabled = inM || passageStates.includes(st.state) || st.state === "emergency";
  }

  function render(st) {
    renderHeader(st);
    renderDiagram(st);
    renderDevices(st);
    renderCounters(st);
    renderLists(st);
  }

  function showReport(title, rep) {
    const box = $("report");
    box.replaceChildren(el("strong", "", title));
    if (rep.error) {
      box.append(el("p", "hint", rep.error + (rep.hint ? " — " + rep.hint : "")));
      return;
    }
    if (rep.kind !== undefined) {
      box.append(el("p", "", words(rep.kind) + ": " + (rep.ok ? "done" : "refused: " + rep.reason)));
      return;
    }
    for (const c of rep.checks || []) {
      const d = el("div", "check");
      d.append(el("span", "pill " + c.result, c.result), el("span", "", words(c.name)), el("span", "", c.detail || ""));
      if (c.hint) d.append(el("span", "hint", "hint: " + c.hint));
      box.append(d);
    }
    for (const n of rep.notes || []) box.append(el("p", "muted small", n));
  }

  async function post(path, body, title) {
    const buttons = document.querySelectorAll(".buttons button");
    buttons.forEach((b) => (b.dataset.busy = "1"));
    $("report").replaceChildren(el("em", "", title + "…"));
    try {
      const r = await fetch(path, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Egate-Request": "1" },
        body: JSON.stringify(body || {}),
      });
      if (r.status === 401) { location.href = "/login"; return; }
      showReport(title, await r.json());
    } catch (e) {
      showReport(title, { error: "egated did not answer: " + e });
    } finally {
      buttons.forEach((b) => delete b.dataset.busy);
    }
  }

  for (const b of document.querySelectorAll(".buttons button")) {
    b.addEventListener("click", () => {
      if (b.dataset.cmd) post("/api/v1/command", { kind: b.dataset.cmd }, b.textContent);
      else if (b.dataset.cycle) post("/api/v1/maintenance/door-cycle", { door: b.dataset.cycle }, b.textContent);
      else if (b.dataset.door) {
        const d = cur.doors[b.dataset.door];
        post("/api/v1/command", { kind: "maintenance_door", door: b.dataset.door, open: !(d && d.commanded === "open") }, b.textContent);
      } else if (b.dataset.action) post("/api/v1/maintenance/" + b.dataset.action, {}, b.textContent);
      else if (b.dataset.selftest) post("/api/v1/selftest", { enter_maintenance: true }, "Self-test");
    });
  }

  async function follow() {
    let delay = 0;
    for (;;) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      try {
        const r = await fetch("/api/v1/status?wait=25s&have=" + encodeURIComponent(cur.key), { credentials: "same-origin", cache: "no-store" });
        if (r.status === 401) { location.href = "/login"; return; }
        if (!r.ok) throw new Error(String(r.status));
        const next = await r.json();
        $("conn").textContent = "live · " + hhmmss(next.time);
        if (next.key !== cur.key) { cur = next; render(cur); }
        delay = 0;
      } catch (e) {
        $("conn").textContent = "egated not answering; retrying";
        delay = 2000;
      }
    }
  }

  render(cur);
  setInterval(() => { $("since").textContent = "for " + ago(cur.since) + (cur.passage ? " · passage #" + cur.passage : ""); }, 1000);
  follow();
})();
