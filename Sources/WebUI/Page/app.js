// Live progress for the Immich Album Export page. Relative URLs only: under Home Assistant
// Ingress the page lives below /api/hassio_ingress/<token>/.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { doc: null, sortKey: "name", sortDir: 1, lastRunsFor: null };

const fmtInt = (n) => (n ?? 0).toLocaleString();
function fmtBytes(b) {
  const u = ["B", "KB", "MB", "GB", "TB"]; let i = 0; let v = b || 0;
  while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${u[i]}`;
}
function fmtDuration(s) {
  if (s == null) return "";
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
function fmtTime(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}
function setText(id, text) { const el = $(id); if (el.textContent !== text) el.textContent = text; }

function render(doc) {
  state.doc = doc;
  const status = doc.status || "idle";
  const badge = $("status");
  badge.dataset.status = status;
  badge.textContent = status === "dry_run" ? "dry run done" : status;
  const pct = Math.max(0, Math.min(100, doc.percent_copied || 0));
  $("fill").style.width = `${pct}%`;
  $("bar").setAttribute("aria-valuenow", String(Math.round(pct)));
  setText("percent", pct.toFixed(pct % 1 ? 1 : 0));
  setText("eta", doc.running && doc.estimated_remaining != null ? `about ${fmtDuration(doc.estimated_remaining)} left` : "");
  const would = doc.dry_run ? " (would)" : "";
  setText("copied", fmtInt(doc.copied) + (doc.updated ? ` (${fmtInt(doc.updated)} upd.)` : ""));
  setText("skipped", fmtInt(doc.skipped));
  setText("failed", fmtInt(doc.failed));
  setText("deleted", fmtInt(doc.deleted) + would);
  setText("total", fmtInt(doc.total));
  setText("bytes", doc.bytes_total ? `${fmtBytes(doc.bytes_copied)} / ${fmtBytes(doc.bytes_total)}` : fmtBytes(doc.bytes_copied));
  setText("rate", doc.files_per_second ? `${doc.files_per_second.toFixed(1)} files/s` : "–");
  setText("current-album", doc.current_album || "–");
  setText("current-file", doc.current_file || "–");
  const guard = $("guard");
  guard.hidden = !doc.guard;
  if (doc.guard) guard.textContent = `Nothing was deleted: ${doc.guard}`;
  const error = $("error");
  error.hidden = !doc.error;
  // Before any run (a setting missing at start) the error is not a run's.
  if (doc.error) error.textContent = doc.status === "failed" ? `The run failed: ${doc.error}` : doc.error;
  setText("last-run", fmtTime(doc.last_run) || "never");
  setText("schema", doc.immich_version ? `${doc.immich_version} (schema ${doc.schema})` : doc.schema ? `schema ${doc.schema}` : "–");
  $("run").disabled = !!doc.running;
  $("dry-run").disabled = !!doc.running;
  $("cancel").disabled = !doc.running;
  renderAlbums(doc.albums || []);
  renderPreview(doc);
  if (!doc.running && doc.finished_at && state.lastRunsFor !== doc.finished_at) {
    state.lastRunsFor = doc.finished_at;
    loadRuns();
  }
}

// An album's name, with its folder when another album has the same name (as `current_album`
// shows it: ProgressSnapshot.AlbumProgress.labels).
function albumLabeller(albums) {
  const key = (a) => String(a.name).trim().toLowerCase();
  const counts = new Map();
  for (const a of albums) counts.set(key(a), (counts.get(key(a)) || 0) + 1);
  return (a) => (counts.get(key(a)) > 1 && a.folder ? `${a.name} (folder ${a.folder})` : a.name);
}

function renderAlbums(albums) {
  setText("albums-count", albums.length ? `(${albums.length})` : "");
  const label = albumLabeller(albums);
  const key = state.sortKey, dir = state.sortDir;
  const rows = [...albums].sort((a, b) => {
    const x = a[key], y = b[key];
    return (typeof x === "number" ? x - y : String(x).localeCompare(String(y))) * dir;
  });
  const body = document.createElement("tbody");
  for (const a of rows) {
    const tr = document.createElement("tr");
    const cells = [label(a), a.state, a.copied, a.skipped, a.failed, a.deleted, a.total];
    cells.forEach((v, i) => {
      const td = document.createElement("td");
      td.textContent = typeof v === "number" ? fmtInt(v) : v;
      if (i >= 2) td.className = "num";
      if (i === 1) td.className = `state-${v}`;
      if (i === 0 && a.folder && a.folder !== a.name) td.title = `folder: ${a.folder}`;
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
  $("albums").replaceChild(body, $("albums").tBodies[0]);
}

function renderPreview(doc) {
  const card = $("preview-card");
  const p = doc.preview;
  card.hidden = !(doc.dry_run && p);
  if (card.hidden) return;
  const box = document.createElement("div");
  box.className = "preview-list";
  for (const [kind, title] of [["copy", "Would copy"], ["update", "Would update"], ["delete", "Would delete"], ["move", "Would move (album renamed)"]]) {
    const list = p[kind] || { count: 0, paths: [] };
    const h = document.createElement("h3");
    h.textContent = `${title}: ${fmtInt(list.count)}`;
    box.appendChild(h);
    if (!list.paths.length) continue;
    const ul = document.createElement("ul");
    for (const path of list.paths) { const li = document.createElement("li"); li.textContent = path; ul.appendChild(li); }
    if (list.count > list.paths.length) { const li = document.createElement("li"); li.className = "muted"; li.textContent = `… and ${fmtInt(list.count - list.paths.length)} more`; ul.appendChild(li); }
    box.appendChild(ul);
  }
  $("preview").replaceChildren(box);
}

async function loadRuns() {
  try {
    const runs = await (await fetch("api/runs", { cache: "no-store" })).json();
    const body = document.createElement("tbody");
    for (const r of runs) {
      const tr = document.createElement("tr");
      const result = r.status === "dry_run" ? "dry run" : r.status;
      [fmtTime(r.finished_at) || "–", r.trigger, result, fmtInt(r.copied), fmtInt(r.failed), fmtInt(r.deleted), fmtDuration(r.duration_seconds)]
        .forEach((v, i) => { const td = document.createElement("td"); td.textContent = v; if (i >= 3) td.className = "num"; tr.appendChild(td); });
      if (r.error) tr.title = r.error;
      body.appendChild(tr);
    }
    $("runs").replaceChild(body, $("runs").tBodies[0]);
  } catch (e) { /* the next update retries */ }
}

async function loadInfo() {
  try {
    const info = await (await fetch("api/info", { cache: "no-store" })).json();
    setText("next-run", info.next_run ? fmtTime(info.next_run) : "not scheduled");
  } catch (e) { /* keep the last value */ }
}

async function post(path, label) {
  const msg = $("message");
  try {
    const res = await fetch(path, { method: "POST" });
    const body = await res.json().catch(() => ({}));
    msg.textContent = res.ok ? `${label}: ${body.result || "ok"}` : `${label} refused: ${body.error || res.status}`;
  } catch (e) {
    msg.textContent = `${label} failed: ${e}`;
  }
  msg.hidden = false;
  poll();
}

async function poll() {
  try { render(await (await fetch("api/progress", { cache: "no-store" })).json()); } catch (e) { /* retry later */ }
}

// Live updates: Server-Sent Events, falling back to polling if they fail.
let pollTimer = null;
function startPolling() { if (!pollTimer) pollTimer = setInterval(poll, 2000); }
function connect() {
  if (!("EventSource" in window)) { startPolling(); return; }
  const es = new EventSource("api/events");
  es.addEventListener("progress", (e) => {
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    try { render(JSON.parse(e.data)); } catch (err) { /* ignore a torn message */ }
  });
  es.onerror = () => { startPolling(); };
}

$("run").addEventListener("click", () => post("api/run", "Run"));
$("dry-run").addEventListener("click", () => post("api/dry-run", "Dry run"));
$("cancel").addEventListener("click", () => {
  if (confirm("Cancel the running export? Files already copied stay; nothing is deleted.")) post("api/cancel", "Cancel");
});
for (const th of document.querySelectorAll("#albums th")) {
  th.addEventListener("click", () => {
    const key = th.dataset.key;
    state.sortDir = state.sortKey === key ? -state.sortDir : (key === "name" || key === "state" ? 1 : -1);
    state.sortKey = key;
    for (const other of document.querySelectorAll("#albums th")) other.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", state.sortDir === 1 ? "ascending" : "descending");
    if (state.doc) renderAlbums(state.doc.albums || []);
  });
}

poll();
loadInfo();
loadRuns();
setInterval(loadInfo, 60000);
// `?live=poll` skips Server-Sent Events, for proxies that buffer them (and for headless checks).
if (new URLSearchParams(location.search).get("live") === "poll") startPolling(); else connect();
