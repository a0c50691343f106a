// The page is kept in the binary so that a daemon on a render node needs no web root, and has no
// external assets so it works on an air-gapped studio network. It polls /api/v1/status and rewrites only
// the parts that changed, so an expanded traceback stays open across refreshes.
#include "admin/status_page.h"

namespace sgeventd::admin {

namespace {

constexpr std::string_view kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sgeventd</title>
<style>
:root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#667085; --line:#e4e7ec;
  --active:#12b76a; --retrying:#f79009; --deactivated:#d92d20; --disabled:#98a2b3; --load_failed:#7a271a; }
* { box-sizing:border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
header { background:#1d2330; color:#fff; padding:12px 20px; display:flex; flex-wrap:wrap; gap:6px 24px; align-items:baseline; }
header h1 { font-size:18px; margin:0 8px 0 0; }
header .fact { color:#d0d5dd; }
header .fact b { color:#fff; font-weight:600; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; }
.ready-yes { background:var(--active); }
.ready-no { background:var(--deactivated); }
main { padding:16px 20px; max-width:1200px; margin:0 auto; }
#banner { display:none; margin-bottom:12px; padding:8px 12px; border-radius:6px; background:#fef3f2; color:#b42318; border:1px solid #fecdca; }
#banner.show { display:block; }
#why { color:#b42318; margin:0 0 12px; }
table { width:100%; border-collapse:collapse; background:var(--card); border:1px solid var(--line); border-radius:8px; overflow:hidden; }
th, td { text-align:left; padding:8px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; text-transform:uppercase; letter-spacing:.03em; color:var(--muted); background:#fafbfc; }
td.num { font-variant-numeric:tabular-nums; white-space:nowrap; }
.state { display:inline-flex; align-items:center; gap:6px; font-weight:600; white-space:nowrap; }
.dot { width:10px; height:10px; border-radius:50%; background:var(--disabled); flex:none; }
.s-active .dot { background:var(--active); } .s-retrying .dot { background:var(--retrying); }
.s-deactivated .dot { background:var(--deactivated); } .s-disabled .dot { background:var(--disabled); }
.s-load_failed .dot { background:var(--load_failed); }
tr.s-deactivated, tr.s-load_failed { background:#fffbfa; }
tr.s-disabled { color:var(--muted); }
.reason { display:block; font-weight:400; color:var(--muted); font-size:12px; }
.name { font-weight:600; } .path { display:block; color:var(--muted); font-size:12px; word-break:break-all; }
details summary { cursor:pointer; color:#b42318; max-width:240px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
details pre { white-space:pre-wrap; word-break:break-word; font-size:12px; background:#f9fafb; border:1px solid var(--line); padding:8px; border-radius:4px; max-height:320px; overflow:auto; }
.none { color:var(--muted); }
button { font:inherit; font-size:12px; padding:3px 8px; margin:0 2px 4px 0; border-radius:5px; border:1px solid #d0d5dd; background:#fff; cursor:pointer; }
button:hover { background:#f2f4f7; } button:disabled { opacity:.5; cursor:default; }
svg.spark { display:block; }
#auth { display:none; margin-bottom:12px; padding:10px 12px; background:#fff; border:1px solid var(--line); border-radius:6px; }
#auth.show { display:block; }
#auth input { font:inherit; padding:4px 8px; width:260px; max-width:100%; }
#message { margin:0 0 8px; color:var(--muted); }
#message:empty, #why:empty { display:none; }
#summary { margin:0 0 10px; color:var(--muted); }
td.actions { white-space:nowrap; }
footer { color:var(--muted); font-size:12px; padding:8px 20px 20px; text-align:center; }
@media (max-width: 700px) {
  header { padding:10px 12px; } main { padding:10px; }
  table, tbody, tr, td { display:block; width:100%; } thead { display:none; }
  tr { border-bottom:1px solid var(--line); padding:6px 0; }
  td { border:none; padding:3px 10px; }
  td[data-label]::before { content:attr(data-label) ": "; color:var(--muted); font-size:12px; }
  details summary { max-width:100%; }
}
</style>
</head>
<body>
<header>
  <h1>sgeventd</h1>
  <span class="fact">site <b id="site">…</b></span>
  <span class="fact">head <b id="head">…</b></span>
  <span class="fact">up <b id="uptime">…</b></span>
  <span class="fact">state <b id="state">…</b></span>
  <span id="ready" class="badge">…</span>
</header>
<main>
  <div id="banner" role="alert"></div>
  <p id="why"></p>
  <form id="auth">
    <label>This action needs the admin token: <input id="token" type="password" autocomplete="off"></label>
    <button type="submit">Use token</button>
  </form>
  <p id="summary"></p>
  <p id="message" aria-live="polite"></p>
  <table>
    <thead><tr><th>Plugin</th><th>State</th><th>Lag</th><th>Events/min (1 h)</th><th>Processed</th><th>Last error</th><th></th></tr></thead>
    <tbody id="plugins"></tbody>
  </table>
</main>
<footer><span id="version"></span> · updated <span id="updated">never</span></footer>
<script>
"use strict";
const params = new URLSearchParams(location.search);
const refreshMs = Math.max(500, Number(params.get("refresh") || 2000));
const TOKEN_KEY = "sgeventd-admin-token";
let pending = null;  // the action waiting for a token

function $(id) { return document.getElementById(id); }
function text(el, value) { if (el.textContent !== value) el.textContent = value; }

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  seconds = Math.max(0, Math.round(seconds));
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600),
        m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
  if (d) return d + "d " + h + "h";
  if (h) return h + "h " + m + "m";
  if (m) return m + "m " + s + "s";
  return s + "s";
}

function lagText(p) {
  const events = p.lag_events === null || p.lag_events === undefined ? "–" : p.lag_events.toLocaleString();
  return events + " events" + (p.lag_seconds === null || p.lag_seconds === undefined ? "" : " · " + duration(p.lag_seconds));
}

function sparkline(values) {
  const w = 120, h = 24, n = values.length;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark"); svg.setAttribute("width", w); svg.setAttribute("height", h);
  svg.setAttribute("viewBox", "0 0 " + w + " " + h);
  if (n > 0) {
    const max = Math.max(1, ...values);
    const step = n > 1 ? w / (n - 1) : w;
    const points = values.map((v, i) => (n > 1 ? i * step : w).toFixed(1) + "," + (h - 2 - (v / max) * (h - 4)).toFixed(1));
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" ")); line.setAttribute("fill", "none");
    line.setAttribute("stroke", "#2e90fa"); line.setAttribute("stroke-width", "1.5");
    svg.appendChild(line);
  }
  const title = document.createElementNS(ns, "title");
  title.textContent = (values.length ? values[values.length - 1] : 0) + " events in the current minute";
  svg.appendChild(title);
  return svg;
}

function cell(row, cls, label) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  if (label) td.dataset.label = label;
  row.appendChild(td);
  return td;
}

function buildRow(p) {
  const row = document.createElement("tr");
  row.dataset.plugin = p.key || p.name;
  const name = cell(row, "", "");
  name.innerHTML = '<span class="name"></span><span class="path"></span>';
  const state = cell(row, "", "State");
  state.innerHTML = '<span class="state"><span class="dot"></span><span class="label"></span></span><span class="reason"></span>';
  cell(row, "num lag", "Lag");
  cell(row, "spark", "Events/min");
  cell(row, "num processed", "Processed");
  cell(row, "error", "Last error");
  const actions = cell(row, "actions", "");
  for (const action of ["enable", "disable", "reload"]) {
    const b = document.createElement("button");
    b.type = "button"; b.dataset.action = action; b.textContent = action[0].toUpperCase() + action.slice(1);
    b.addEventListener("click", () => act(row.dataset.plugin, action, b));
    actions.appendChild(b);
  }
  return row;
}

function updateRow(row, p) {
  row.className = "s-" + p.state;
  row.dataset.state = p.state;
  text(row.querySelector(".name"), p.name);
  text(row.querySelector(".path"), p.path || "");
  text(row.querySelector(".state .label"), p.state.replace("_", " "));
  // The reason may carry a whole traceback, which the error column already shows: its first line here.
  let reason = p.state === "active" ? "" : (p.reason || "").split("\n")[0].split(": Traceback")[0];
  if (reason.length > 140) reason = reason.slice(0, 139) + "…";
  if (p.in_callback_since) {
    const busy = (Date.now() - Date.parse(p.in_callback_since)) / 1000;
    if (p.stuck && p.in_callback) {
      reason = "stuck: callback " + p.in_callback.callback + " on event " + p.in_callback.event_id + " for " +
               duration(busy) + ", past its callback_timeout of " + p.stuck_after + " s";
    } else if (busy >= 5) reason = "in one callback for " + duration(busy) + (reason ? "; " + reason : "");
  }
  text(row.querySelector(".reason"), reason);
  text(row.querySelector(".lag"), lagText(p));
  const spark = row.querySelector("td.spark");
  const series = JSON.stringify(p.events_per_minute || []);
  if (spark.dataset.series !== series) {
    spark.dataset.series = series;
    spark.replaceChildren(sparkline(p.events_per_minute || []));
  }
  text(row.querySelector(".processed"), (p.processed || 0).toLocaleString() + (p.failures ? " · " + p.failures + " failed" : ""));
  const error = row.querySelector("td.error");
  const err = p.last_error || "";
  if (error.dataset.error !== err) {
    error.dataset.error = err;
    if (!err) {
      error.innerHTML = '<span class="none">none</span>';
    } else {
      const wasOpen = !!error.querySelector("details[open]");
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      const lines = err.trim().split("\n");
      summary.textContent = lines[lines.length - 1];
      const pre = document.createElement("pre");
      pre.textContent = err;
      details.append(summary, pre);
      details.open = wasOpen;
      error.replaceChildren(details);
    }
  }
  const receiving = p.state === "active" || p.state === "retrying";
  row.querySelector('button[data-action="enable"]').disabled = receiving;
  row.querySelector('button[data-action="disable"]').disabled = p.state === "disabled";
}

function render(status) {
  text($("site"), status.site || "–");
  text($("head"), status.head && status.head.id !== null && status.head.id !== undefined ? String(status.head.id) : "–");
  text($("uptime"), duration(status.uptime_seconds));
  text($("state"), status.state || "–");
  const ready = $("ready");
  ready.className = "badge " + (status.ready ? "ready-yes" : "ready-no");
  text(ready, status.ready ? "ready" : "not ready");
  text($("why"), status.ready ? "" : (status.ready_reason || ""));
  text($("version"), "sgeventd " + (status.version || ""));
  const body = $("plugins");
  const seen = new Set();
  for (const p of status.plugins || []) {
    const key = p.key || p.name;
    seen.add(key);
    let row = body.querySelector('tr[data-plugin="' + CSS.escape(key) + '"]');
    if (!row) { row = buildRow(p); body.appendChild(row); }
    updateRow(row, p);
  }
  for (const row of [...body.children]) if (!seen.has(row.dataset.plugin)) row.remove();
  const counts = {};
  for (const p of status.plugins || []) counts[p.state] = (counts[p.state] || 0) + 1;
  const total = (status.plugins || []).length;
  text($("summary"), total + (total === 1 ? " plugin" : " plugins") +
       Object.keys(counts).sort().map(state => " · " + counts[state] + " " + state.replace("_", " ")).join(""));
  text($("updated"), new Date().toLocaleTimeString());
}

async function refresh() {
  try {
    const reply = await fetch("api/v1/status", { cache: "no-store", headers: authHeaders() });
    if (reply.status === 401) { askToken(null); throw new Error("the admin API needs a token to read the status"); }
    if (!reply.ok) throw new Error("status answered " + reply.status);
    render(await reply.json());
    $("banner").classList.remove("show");
  } catch (e) {
    const banner = $("banner");
    text(banner, "Cannot reach the daemon: " + e.message);
    banner.classList.add("show");
  } finally {
    setTimeout(refresh, refreshMs);
  }
}

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { "Authorization": "Bearer " + token } : {};
}

function askToken(action) {
  pending = action;
  $("auth").classList.add("show");
  $("token").focus();
}

$("auth").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value);
  $("token").value = "";
  $("auth").classList.remove("show");
  if (pending) { const next = pending; pending = null; next(); }
});

async function act(plugin, action, button) {
  button.disabled = true;
  try {
    const reply = await fetch("api/v1/plugins/" + encodeURIComponent(plugin) + "/" + action,
                              { method: "POST", headers: authHeaders() });
    if (reply.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      askToken(() => act(plugin, action, button));
      text($("message"), action + " " + plugin + ": the admin token is needed");
      return;
    }
    let reason = "";
    try { reason = (await reply.json()).error || ""; } catch (_) {}
    text($("message"), reply.ok ? action + " " + plugin + ": done" : action + " " + plugin + " refused: " + (reason || reply.status));
  } catch (e) {
    text($("message"), action + " " + plugin + " failed: " + e.message);
  } finally {
    button.disabled = false;
    clearTimeout(window.soon);
    window.soon = setTimeout(async () => {
      try { const r = await fetch("api/v1/status", { cache: "no-store", headers: authHeaders() }); if (r.ok) render(await r.json()); } catch (_) {}
    }, 200);
  }
}

refresh();
</script>
</body>
</html>
)HTML";

}  // namespace

std::string_view statusPageHtml() { return kPage; }

}  // namespace sgeventd::admin
