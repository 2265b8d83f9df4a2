// tertius serve: the page. It keeps the scenario as data in the canonical YAML layout, sends it
// to the server on every change, and draws what comes back. Text from a scenario is only ever
// set with textContent, never parsed as HTML.
"use strict";

const S = {scenario: null, result: null, broker: null, seq: 0, brokerSeq: 0, models: [], limits: {},
           focus: null, sweep: null, timer: null, editedAt: null, editedHere: new Set()};
window.tertiusTimings = [];  // ms from an edit to the updated forecasts on screen (benchmarks read it)

// ------------------------------------------------------------------ small helpers
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}
const $ = (id) => document.getElementById(id);
const qv = (q) => (q !== null && typeof q === "object") ? q.value : q;
const name = (id) => { const a = (S.scenario.actors || []).find((x) => x.id === id); return a && a.name ? a.name : id; };
const issueName = (id) => { const i = (S.scenario.issues || []).find((x) => x.id === id); return i && i.name ? i.name : id; };

function fmt(x) {  // numbers for people: round values printed round, no scientific notation
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (Math.abs(x - Math.round(x)) < 1e-9) return String(Math.round(x));
  const a = Math.abs(x);
  const digits = a >= 100 ? 1 : a >= 1 ? 2 : 3;
  return x.toLocaleString("en-GB", {maximumFractionDigits: digits, useGrouping: false});
}
const pct = (p) => (p === null || p === undefined) ? "–" : `${Math.round(100 * p)} %`;

function parsePath(path) {  // "stances[3].position" -> ["stances", 3, "position"]
  const out = [];
  for (const part of path.split(".")) {
    const m = part.match(/^([^[]*)((\[\d+\])*)$/);
    if (m[1]) out.push(m[1]);
    for (const idx of (m[2].match(/\d+/g) || [])) out.push(Number(idx));
  }
  return out;
}
function getAt(obj, path) { return parsePath(path).reduce((o, k) => (o === undefined || o === null) ? undefined : o[k], obj); }
function setAt(obj, path, value) {
  const keys = parsePath(path);
  const last = keys.pop();
  const holder = keys.reduce((o, k) => o[k], obj);
  holder[last] = value;
}

async function call(method, url, body, raw) {
  const opts = {method, headers: {}};
  if (body !== undefined) {
    if (raw) { opts.body = body; opts.headers["Content-Type"] = "application/octet-stream"; }
    else { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  }
  const response = await fetch(url, opts);
  const type = response.headers.get("content-type") || "";
  if (!type.startsWith("application/json")) {
    if (!response.ok) throw {error: `the server answered ${response.status}`};
    return response;
  }
  const data = await response.json();
  if (!response.ok) throw data;
  return data;
}
const errorText = (e) => (e && e.error) ? e.error + (e.fix && !e.error.includes(e.fix) ? ` (fix: ${e.fix})` : "")
  : `the page lost the server (${e})`;

// ------------------------------------------------------------------ the editor
function quantityClass(q, holder, path) {
  if (path && S.editedHere.has(path) && !(q !== null && typeof q === "object" && (q.source || q.assumption))) return "edited";
  if (q !== null && typeof q === "object" && q.source) return "sourced";
  if (q !== null && typeof q === "object" && q.assumption) return "assumed";
  if (holder && holder.source) return "sourced";
  if (holder && holder.assumption) return "assumed";
  return "bare";
}
function quantityTitle(q, holder, path) {
  if (path && S.editedHere.has(path) && !(q !== null && typeof q === "object" && (q.source || q.assumption)))
    return "edited here: give a source or an assumption";
  const o = (q !== null && typeof q === "object") ? q : {};
  const src = o.source || (holder && holder.source);
  const asm = o.assumption || (holder && holder.assumption);
  return src ? `source: ${src}` : asm ? `assumption: ${asm}` : "no source or assumption given";
}

function numberInput(path, holder, opts = {}) {
  const q = getAt(S.scenario, path);
  const input = el("input", {type: "number", value: q === undefined || q === null ? "" : qv(q),
                             "aria-label": opts.label || path, dataset: {path, q: opts.quantity === false ? "" : "1"},
                             step: opts.step || "any",
                             class: opts.quantity === false ? "" : quantityClass(q, holder, path),
                             title: opts.quantity === false ? null : quantityTitle(q, holder, path)});
  input.addEventListener("change", () => {
    const text = input.value.trim();
    const old = getAt(S.scenario, path);
    if (text === "" || !Number.isFinite(Number(text))) {
      if (text === "" && opts.optional) { setAt(S.scenario, path, undefined); deleteUndefined(path); edited(); return; }
      input.value = old === undefined || old === null ? "" : qv(old);  // the field shows what the model uses
      showScenarioError({error: `${opts.label || path}: a number is needed`, message: "a number is needed",
                         path, fix: "type a number; the field keeps its previous value"});
      return;
    }
    const value = Number(text);
    if (opts.quantity === false) { setAt(S.scenario, path, value); edited(); return; }
    if (old !== null && old !== undefined && qv(old) === value) return;
    setAt(S.scenario, path, value);  // a new number: the old source or assumption was about the old one
    if (holder && (holder.source || holder.assumption)) detachHolderProvenance(holder, path);
    S.editedHere.add(path);
    input.classList.remove("sourced", "assumed", "bare");
    input.classList.add("edited");
    input.title = "edited here: give a source or an assumption";
    edited();
    showSource(path, opts.label || path);
  });
  if (opts.quantity !== false) input.addEventListener("focus", () => showSource(path, opts.label || path));
  return input;
}
// A stance's source or assumption covers its position and salience; once one of them is edited,
// it still covers the other one only, so it moves onto that quantity.
function detachHolderProvenance(holder, path) {
  const field = parsePath(path).pop();
  for (const other of ["position", "salience"]) {
    if (other === field || holder[other] === undefined) continue;
    const q = (holder[other] !== null && typeof holder[other] === "object") ? holder[other] : {value: holder[other]};
    if (!q.source && !q.assumption) {
      if (holder.source) q.source = holder.source;
      if (holder.assumption) q.assumption = holder.assumption;
    }
    holder[other] = q;
  }
  delete holder.source; delete holder.assumption;
}
function deleteUndefined(path) {
  const keys = parsePath(path); const last = keys.pop();
  const holder = keys.reduce((o, k) => o[k], S.scenario);
  delete holder[last];
}
function textInput(path, opts = {}) {
  const input = el("input", {value: getAt(S.scenario, path) || "", "aria-label": opts.label || path,
                             dataset: {path}, size: opts.size || 14, readonly: opts.readonly});
  input.addEventListener("change", () => { setAt(S.scenario, path, input.value); edited(); });
  return input;
}

function showSource(path, label) {
  S.focus = path;
  const q = getAt(S.scenario, path);
  const holder = path.startsWith("stances[") ? getAt(S.scenario, path.replace(/\.[a-z_]+$/, "")) : null;
  const o = (q !== null && typeof q === "object") ? q : {};
  $("source-panel").hidden = false;
  $("source-label").textContent = S.editedHere.has(path) && !o.source && !o.assumption
    ? `${label}: edited here, give a source or an assumption:` : `${label}:`;
  $("source-text").value = o.source || (holder && holder.source) || "";
  $("assumption-text").value = o.assumption || (holder && holder.assumption) || "";
}
function editSource(kind, text) {
  if (!S.focus) return;
  let q = getAt(S.scenario, S.focus);
  if (q === undefined || q === null) return;
  if (typeof q !== "object") { q = {value: q}; setAt(S.scenario, S.focus, q); }
  if (text) q[kind] = text; else delete q[kind];
  const input = document.querySelector(`input[data-path="${CSS.escape(S.focus)}"]`);
  if (input) {
    const holder = S.focus.startsWith("stances[") ? getAt(S.scenario, S.focus.replace(/\.[a-z_]+$/, "")) : null;
    input.classList.remove("sourced", "assumed", "bare", "edited");
    input.classList.add(quantityClass(q, holder, S.focus));
    input.title = quantityTitle(q, holder, S.focus);
  }
  edited();
}

function drawEditor() {
  const s = S.scenario;
  $("title").textContent = s.title || s.id;
  const actors = $("actors"); actors.replaceChildren(
    el("tr", {}, el("th", {text: "id"}), el("th", {text: "name"}), el("th", {text: "capability"}), el("th")));
  s.actors.forEach((a, j) => actors.append(el("tr", {},
    el("td", {text: a.id}), el("td", {}, textInput(`actors[${j}].name`, {label: `${a.id} name`})),
    el("td", {}, numberInput(`actors[${j}].capability`, null, {label: `${name(a.id)} capability`})),
    el("td", {}, el("button", {title: `remove ${a.id}`, text: "×", onclick: () => removeActor(j)})))));
  const issues = $("issues"); issues.replaceChildren(el("tr", {}, ...["id", "name", "min", "max", "anchors",
    "status quo", "observed", ""].map((h) => el("th", {text: h}))));
  s.issues.forEach((i, k) => {
    i.scale = i.scale || {min: 0, max: 100};
    const anchors = el("input", {value: Object.entries(i.scale.anchors || {}).map(([x, t]) => `${x}=${t}`).join("; "),
      size: 18, "aria-label": `${i.id} anchors`, dataset: {path: `issues[${k}].scale.anchors`},
      title: "labelled points of the scale, e.g. 0=none; 100=all"});
    anchors.addEventListener("change", () => {
      const out = {};
      for (const part of anchors.value.split(";")) {
        const [x, ...t] = part.split("=");
        if (x.trim() !== "" && t.length) out[x.trim()] = t.join("=").trim();
      }
      i.scale.anchors = out; edited();
    });
    issues.append(el("tr", {}, el("td", {text: i.id}),
      el("td", {}, textInput(`issues[${k}].name`, {label: `${i.id} name`, size: 18})),
      el("td", {}, numberInput(`issues[${k}].scale.min`, null, {quantity: false, label: `${i.id} min`})),
      el("td", {}, numberInput(`issues[${k}].scale.max`, null, {quantity: false, label: `${i.id} max`})),
      el("td", {}, anchors),
      el("td", {}, numberInput(`issues[${k}].status_quo`, null, {optional: true, label: `${issueName(i.id)} status quo`})),
      el("td", {}, numberInput(`issues[${k}].observed`, null, {optional: true, label: `${issueName(i.id)} observed`})),
      el("td", {}, el("button", {title: `remove ${i.id}`, text: "×", onclick: () => removeIssue(k)}))));
  });
  const grid = $("stances");
  grid.replaceChildren(el("tr", {}, el("th"), ...s.issues.map((i) => el("th", {text: i.id, title: i.name || i.id}))));
  const index = new Map(s.stances.map((st, n) => [`${st.actor}\u0000${st.issue}`, n]));
  for (const a of s.actors) {
    const row = el("tr", {}, el("th", {text: name(a.id)}));
    for (const i of s.issues) {
      const n = index.get(`${a.id}\u0000${i.id}`);
      row.append(n === undefined ? el("td", {}, emptyStance(a.id, i.id)) : el("td", {class: "stance"},
        numberInput(`stances[${n}].position`, s.stances[n], {label: `${name(a.id)} position on ${i.id}`}),
        numberInput(`stances[${n}].salience`, s.stances[n], {step: "0.05", label: `${name(a.id)} salience on ${i.id}`})));
    }
    grid.append(row);
  }
}
function emptyStance(actor, issue) {
  return el("button", {class: "add", title: `add ${name(actor)}'s stance on ${issue}`, text: "+",
    onclick: () => {
      S.scenario.stances.push({actor, issue, position: {value: 50, assumption: "entered in the editor"},
                               salience: {value: 0.5, assumption: "entered in the editor"}});
      edited(true);
    }});
}
function removeActor(j) {
  const id = S.scenario.actors[j].id;
  S.scenario.actors.splice(j, 1);
  S.scenario.stances = S.scenario.stances.filter((st) => st.actor !== id);
  edited(true);
}
function removeIssue(k) {
  const id = S.scenario.issues[k].id;
  S.scenario.issues.splice(k, 1);
  S.scenario.stances = S.scenario.stances.filter((st) => st.issue !== id);
  edited(true);
}
function freshId(prefix, taken) { let n = taken.length + 1; while (taken.includes(`${prefix}-${n}`)) n += 1; return `${prefix}-${n}`; }

function edited(redraw) {
  S.editedAt = performance.now();
  if (redraw) drawEditor();
  clearTimeout(S.timer);
  S.timer = setTimeout(runModels, 0);  // edits in the same tick go as one request; stale answers are dropped
}

function showScenarioError(e) {
  document.querySelectorAll(".invalid").forEach((n) => n.classList.remove("invalid"));
  document.querySelectorAll(".field-error").forEach((n) => n.remove());
  $("scenario-error").textContent = e ? errorText(e) : "";
  if (!e || !e.path) return;
  let path = e.path;
  while (path) {  // the field itself, else the nearest enclosing one shown in the editor
    const input = document.querySelector(`[data-path="${CSS.escape(path)}"]`);
    if (input) {
      input.classList.add("invalid");
      input.after(el("span", {class: "field-error", role: "alert", text: e.message + (e.fix ? ` (fix: ${e.fix})` : "")}));
      return;
    }
    path = path.includes(".") || path.includes("[") ? path.replace(/(\.[^.[\]]+|\[\d+\])$/, "") : "";
  }
}

// ------------------------------------------------------------------ running the models
async function runModels() {
  const seq = ++S.seq;
  const started = S.editedAt;
  $("status").textContent = "running…";
  try {
    const sent = performance.now();
    const result = await call("POST", "/api/run", {scenario: S.scenario, seed: 0});
    if (seq !== S.seq) return;
    const received = performance.now();
    S.result = result;
    showScenarioError(null);
    drawResults();
    if (started !== null) {
      const done = performance.now();
      window.tertiusTimings.push(done - started);
      window.tertiusPhases = window.tertiusPhases || [];
      window.tertiusPhases.push({queued: sent - started, request: received - sent, server: 1000 * result.seconds, draw: done - received});
    }
    $("status").textContent = `models ran in ${Math.round(1000 * result.seconds)} ms`;
    document.body.dataset.runs = String(Number(document.body.dataset.runs || 0) + 1);
    runBroker(seq);
  } catch (e) {
    if (seq !== S.seq) return;
    showScenarioError(e);
    $("status").textContent = "the scenario has an error";
    document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1);
  }
}

function drawResults() {
  const r = S.result; const s = S.scenario;
  const models = Object.keys(r.forecasts);
  $("refused").replaceChildren(...Object.entries(r.refused).map(([m, why]) => el("p", {text: `${m} refused: ${why}`})),
    ...(r.warnings || []).map((w) => el("p", {class: "warning", text: w})));
  const table = $("forecast-table");
  const observedAny = s.issues.some((i) => i.observed !== undefined && i.observed !== null);
  table.replaceChildren(el("tr", {}, el("th", {text: "issue"}), observedAny ? el("th", {text: "observed"}) : null,
    ...models.map((m) => el("th", {text: m, title: r.models[m].summary}))));
  for (const i of s.issues) {
    const obs = qv(i.observed);
    const row = el("tr", {dataset: {issue: i.id}}, el("th", {text: i.id, title: i.name || i.id}),
      observedAny ? el("td", {text: fmt(obs)}) : null);
    for (const m of models) {
      const v = r.forecasts[m][i.id];
      const e = r.errors[i.id] ? r.errors[i.id][m] : null;  // the library's error table, not computed here
      const err = e ? e.error : null;
      row.append(el("td", {dataset: {model: m}, title: err === null || err === undefined ? null
          : `error ${fmt(err)} on the issue's scale, ${fmt(e.pct)} % of its span`},
        fmt(v), err === null || err === undefined ? null : el("small", {text: ` (${err > 0 ? "+" : ""}${fmt(err)})`})));
    }
    table.append(row);
  }
  if (observedAny) {  // the MAE of tertius run: mean absolute error in % of each issue's span
    const mae = el("tr", {class: "mae"}, el("th", {text: "mean absolute error (% of scale)",
      title: "as tertius run reports it: each error as a percentage of its issue's scale span, averaged"}), el("td"));
    for (const m of models) {
      const sc = r.scores ? r.scores[m] : null;
      mae.append(el("td", {dataset: {model: m}, text: sc && sc.mae !== null ? fmt(sc.mae) : "–"}));
    }
    table.append(mae);
  }
  drawCharts(models);
  drawRounds();
}

const PALETTE = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#7b4b94", "#30638e", "#66a182", "#8d6a9f", "#c47f17"];

function drawCharts(models) {
  if (typeof Plotly === "undefined") return;
  const s = S.scenario; const r = S.result;
  $("chart-legend").replaceChildren(...models.map((m, n) => el("span", {}, el("b", {style: `color:${PALETTE[n % PALETTE.length]}`, text: "◆"}), ` ${m}`)),
    el("span", {}, el("b", {text: "★"}), " observed"), el("span", {class: "muted", text: "circles: actors, sized by capability × salience"}));
  const holder = $("charts");
  const keep = new Set(s.issues.map((i) => `chart-${i.id}`));
  for (const node of [...holder.children]) if (!keep.has(node.dataset.chart)) { Plotly.purge(node.querySelector(".plot")); node.remove(); }
  for (const i of s.issues) {
    let box = holder.querySelector(`[data-chart="${CSS.escape("chart-" + i.id)}"]`);
    if (!box) {
      const plot = el("div", {class: "plot"});
      box = el("figure", {class: "chart", dataset: {chart: `chart-${i.id}`}}, plot,
        el("figcaption", {}, el("span", {class: "caption"}), " ",
          el("button", {text: "PNG", onclick: () => Plotly.downloadImage(plot, {format: "png", filename: `tertius-${i.id}`, width: 900, height: plot.clientHeight || 320})}),
          el("button", {text: "SVG", onclick: () => Plotly.downloadImage(plot, {format: "svg", filename: `tertius-${i.id}`, width: 900, height: plot.clientHeight || 320})})));
      holder.append(box);
    }
    box.querySelector(".caption").textContent = i.name || i.id;
    const st = s.stances.filter((x) => x.issue === i.id);
    const cap = (id) => qv((s.actors.find((a) => a.id === id) || {}).capability) || 0;
    const weight = st.map((x) => cap(x.actor) * qv(x.salience));
    const top = Math.max(1e-12, ...weight);
    const traces = [{
      type: "scatter", mode: "markers", name: "actors", x: st.map((x) => qv(x.position)), y: st.map((x) => name(x.actor)),
      marker: {size: weight.map((w) => 6 + 22 * Math.sqrt(w / top)), color: "rgba(27,108,168,0.55)", line: {color: "#1b6ca8", width: 1}},
      text: st.map((x, n) => `${name(x.actor)}<br>position ${fmt(qv(x.position))}<br>salience ${fmt(qv(x.salience))}<br>capability ${fmt(cap(x.actor))}<br>capability × salience ${fmt(weight[n])}`),
      hovertemplate: "%{text}<extra></extra>"}];
    models.forEach((m, n) => traces.push({type: "scatter", mode: "markers", name: m, x: [r.forecasts[m][i.id]], y: ["forecasts"],
      marker: {symbol: "diamond", size: 12, color: PALETTE[n % PALETTE.length]},
      hovertemplate: `${m}: %{x:.3~f}<extra></extra>`}));
    if (i.observed !== undefined && i.observed !== null) {
      traces.push({type: "scatter", mode: "markers", name: "observed", x: [qv(i.observed)], y: ["observed"],
        marker: {symbol: "star", size: 15, color: "#222"}, hovertemplate: "observed: %{x:.3~f}<extra></extra>"});
    }
    const rows = st.length + 2;
    const layout = {height: 60 + 22 * rows, margin: {l: 130, r: 10, t: 8, b: 30}, showlegend: false,
      xaxis: {range: [i.scale.min - 0.04 * (i.scale.max - i.scale.min), i.scale.max + 0.04 * (i.scale.max - i.scale.min)],
              zeroline: false, fixedrange: true},
      yaxis: {automargin: true, fixedrange: true, categoryorder: "array",
              categoryarray: ["observed", "forecasts", ...st.map((x) => name(x.actor)).reverse()].reverse()},
      font: {family: "system-ui, sans-serif", size: 11}, plot_bgcolor: "#fafafa"};
    const key = JSON.stringify([traces, layout.height, layout.xaxis.range]);
    if (box.dataset.key === key) continue;  // nothing on this issue moved: leave its chart alone
    box.dataset.key = key;
    Plotly.react(box.querySelector(".plot"), traces, layout, {displaylogo: false, responsive: true,
      modeBarButtonsToRemove: ["select2d", "lasso2d"]});
  }
}

function drawRounds() {
  const rounds = S.result.rounds; const pick = $("rounds-model");
  const models = Object.keys(rounds);
  const current = pick.value;
  pick.replaceChildren(...models.map((m) => el("option", {value: m, text: m})));
  if (models.includes(current)) pick.value = current;
  const r = rounds[pick.value];
  if (!r) { $("rounds-table").replaceChildren(); $("rounds-moves").replaceChildren(); return; }
  const n = Math.max(...Object.values(r.values).map((v) => v.length)) - 1;
  const slider = $("rounds-slider");
  slider.max = String(n);
  if (Number(slider.value) > n) slider.value = String(n);
  const at = Number(slider.value);
  $("rounds-at").textContent = String(at);
  $("rounds-table").replaceChildren(el("tr", {}, el("th", {text: "issue"}), el("th", {text: `${r.label}, round ${at}`})),
    ...Object.entries(r.values).map(([id, v]) => el("tr", {}, el("th", {text: issueName(id)}), el("td", {text: fmt(v[Math.min(at, v.length - 1)])}))));
  const moves = at > 0 ? (r.moves[at - 1] || []) : [];
  $("rounds-moves").replaceChildren(...(moves.length ? moves.map((m) => el("li", {text: m.text}))
    : [el("li", {class: "muted", text: at === 0 ? "round 0: the positions as entered" : "no moves in this round"})]));
}

// ------------------------------------------------------------------ third parties
async function runBroker(seq) {
  if (!S.scenario.conflict) { $("thirdparty").replaceChildren(el("p", {class: "muted", text: "This scenario has no conflict, so no third-party analysis."})); return; }
  const mine = ++S.brokerSeq;
  try {
    const out = await call("POST", "/api/broker", {scenario: S.scenario, seed: 0, draws: 200});
    if (mine !== S.brokerSeq || seq !== S.seq) return;
    drawBroker(out.broker);
  } catch (e) {
    if (mine === S.brokerSeq) $("thirdparty").replaceChildren(el("p", {class: "error", text: errorText(e)}));
  }
}
function optionName(o, sides) {
  return {"join-a": `join ${sides[0]}`, "join-b": `join ${sides[1]}`, neutral: "stay out", broker: "broker a deal"}[o] || o;
}
function drawBroker(b) {
  const box = $("thirdparty"); box.replaceChildren();
  if (!b) return;
  for (const ph of b.phases) {
    box.append(el("h3", {text: ph.name || ph.id || "the conflict"}),
      el("p", {class: "muted", text: `${ph.sides[0]} against ${ph.sides[1]}; chance of a win for ${ph.sides[0]} ${pct(ph.p_a_wins)}; ${ph.method}${ph.converged ? "" : " (best responses cycled)"}.`}));
    const table = el("table", {class: "grid"}, el("tr", {}, ...["third party", "option", "expected utility", "rank",
      "probability (logit)", "first in perturbed draws"].map((h) => el("th", {text: h}))));
    for (const tp of ph.third_parties) {
      b.options.forEach((o, n) => {
        const eq = tp.equilibrium === o;
        table.append(el("tr", {class: eq ? "chosen" : null},
          n === 0 ? el("th", {rowspan: b.options.length, text: tp.name || tp.third_party}) : null,
          el("td", {text: optionName(o, ph.sides) + (eq ? " ◀ equilibrium" : "") + (tp.actual && tp.actual.option === o ? " (recorded)" : "")}),
          el("td", {text: fmt(tp.options[o].expected_utility)}),
          el("td", {text: String(tp.ranking.indexOf(o) + 1)}),
          el("td", {text: pct(tp.probabilities[o])}),
          el("td", {text: tp.perturbation ? pct(tp.perturbation.first[o]) : "–"})));
      });
    }
    box.append(table);
    for (const tp of ph.third_parties) box.append(el("p", {class: "explain"}, el("strong", {text: `${tp.name || tp.third_party}: `}), tp.explanation));
  }
}

// ------------------------------------------------------------------ sweeps
async function startSweep(ev) {
  ev.preventDefault();
  const num = (id) => Number($(id).value);
  $("sweep-state").textContent = "starting…";
  $("sweep-state").classList.remove("error");
  try {
    const job = await call("POST", "/api/sweep", {scenario: S.scenario, model: $("sweep-model").value, n: num("sweep-n"),
      seed: num("sweep-seed"), position: num("sweep-position"), salience: num("sweep-salience"), capability: num("sweep-capability")});
    S.sweep = job.id;
    $("sweep-cancel").disabled = false; $("sweep-run").disabled = true;
    $("sweep-progress").max = job.n; $("sweep-progress").value = 0;
    pollSweep(job.id);
  } catch (e) { $("sweep-state").textContent = errorText(e); $("sweep-state").classList.add("error"); }
}
async function pollSweep(id) {
  let st;
  try { st = await call("GET", `/api/sweep/${encodeURIComponent(id)}`); } catch (e) { st = {state: "failed", error: errorText(e)}; }
  if (id !== S.sweep) return;
  $("sweep-progress").value = st.done || 0;
  if (st.state === "running") { $("sweep-state").textContent = `${st.done} of ${st.n} draws`; setTimeout(() => pollSweep(id), 150); return; }
  $("sweep-cancel").disabled = true; $("sweep-run").disabled = false;
  if (st.state === "done") { $("sweep-state").textContent = `done: ${st.n} draws`; drawSweep(st.result); }
  else if (st.state === "cancelled") $("sweep-state").textContent = `cancelled after ${st.done} draws`;
  else { $("sweep-state").textContent = st.error || "the sweep failed"; $("sweep-state").classList.add("error"); }
}
function drawSweep(res) {
  const q = res.summary.quantiles; const base = res.summary.unperturbed;
  $("sweep-table").replaceChildren(el("tr", {}, ...["issue", "5 %", "25 %", "median", "75 %", "95 %", "unperturbed ◆"].map((h) => el("th", {text: h}))),
    ...Object.entries(q).map(([id, v]) => el("tr", {}, el("th", {text: issueName(id)}),
      ...[v.q05, v.q25, v.q50, v.q75, v.q95, base[id]].map((x) => el("td", {text: fmt(x)})))));
  if (typeof Plotly === "undefined") return;
  const ids = Object.keys(res.values);
  const traces = ids.map((id) => ({type: "box", x: res.values[id], name: issueName(id), orientation: "h", boxpoints: false,
    marker: {color: "#1b6ca8"}, hoverinfo: "x"}));
  traces.push({type: "scatter", mode: "markers", name: "unperturbed", x: ids.map((id) => base[id]), y: ids.map(issueName),
    marker: {symbol: "diamond", size: 10, color: "#d1495b"}, hovertemplate: "unperturbed: %{x:.3~f}<extra></extra>"});
  Plotly.react($("sweep-chart"), traces, {height: 60 + 34 * ids.length, margin: {l: 200, r: 10, t: 10, b: 30}, showlegend: false,
    font: {family: "system-ui, sans-serif", size: 11}}, {displaylogo: false, responsive: true});
}

// ------------------------------------------------------------------ loading and exporting
function load(data) {
  S.scenario = data;
  for (const key of ["actors", "issues", "stances"]) S.scenario[key] = S.scenario[key] || [];
  S.focus = null; $("source-panel").hidden = true;
  S.editedAt = null;
  drawEditor();
  const p = data.perturbation || {};
  if (p.position !== undefined) $("sweep-position").value = p.position;
  if (p.salience !== undefined) $("sweep-salience").value = p.salience;
  if (p.capability !== undefined) $("sweep-capability").value = p.capability;
  clearTimeout(S.timer);
  runModels();
}
async function pick() {
  const id = $("pick").value;
  if (id === "") { load({id: "new-scenario", title: "New scenario", actors: [], issues: [], stances: []}); return; }
  if (id === "initial") { load(structuredClone(S.initial)); return; }
  try { load((await call("GET", `/api/bundled/${encodeURIComponent(id)}`)).scenario); }
  catch (e) { $("upload-error").textContent = errorText(e); }
}
async function upload(select) {
  const file = $("upload").files[0];
  if (!file) return;
  $("upload-error").textContent = "";
  const url = `/api/upload?name=${encodeURIComponent(file.name)}` + (select ? `&select=${encodeURIComponent(select)}` : "");
  try {
    const out = await call("POST", url, await file.arrayBuffer(), true);
    if (out.choices) {
      const box = $("choices"); box.hidden = false;
      box.replaceChildren(el("option", {value: "", text: `${out.file} holds ${out.choices.length} scenarios: pick one`}),
        ...out.choices.map((c) => el("option", {value: c, text: c})));
      return;
    }
    $("choices").hidden = true;
    load(out.scenario);
  } catch (e) { $("upload-error").textContent = errorText(e); }
}
async function exportAs(kind) {
  $("status").textContent = `preparing ${kind}…`;
  try {
    const response = await call("POST", `/api/export/${kind}`, {scenario: S.scenario, seed: 0});
    const blob = await response.blob();
    const disposition = response.headers.get("content-disposition") || "";
    const m = disposition.match(/filename="([^"]+)"/);
    const a = el("a", {href: URL.createObjectURL(blob), download: m ? m[1] : kind});
    document.body.append(a); a.click(); a.remove();
    $("status").textContent = `downloaded ${m ? m[1] : kind}`;
  } catch (e) { $("status").textContent = errorText(e); }
}

async function start() {
  const info = await call("GET", "/api/info");
  S.initial = info.initial; S.limits = info.limits;
  $("version").textContent = info.version;
  $("sweep-n").max = String(info.limits.max_sweep);
  const pickBox = $("pick");
  const initialBundled = info.bundled.some((b) => b.id === info.initial.id);
  if (!initialBundled) pickBox.append(el("option", {value: "initial", text: info.initial.title || info.initial.id}));
  for (const b of info.bundled) pickBox.append(el("option", {value: b.id, text: b.title}));
  pickBox.append(el("option", {value: "", text: "(empty scenario)"}));
  pickBox.value = initialBundled ? info.initial.id : "initial";
  pickBox.addEventListener("change", pick);
  $("sweep-model").replaceChildren(...info.models.map((m) => el("option", {value: m.id, text: m.id})));
  $("sweep-model").value = "compromise";
  $("upload").addEventListener("change", () => upload(null));
  $("choices").addEventListener("change", () => { if ($("choices").value) upload($("choices").value); });
  $("add-actor").addEventListener("click", () => {
    S.scenario.actors.push({id: freshId("actor", S.scenario.actors.map((a) => a.id)), name: "New actor",
                            capability: {value: 1, assumption: "entered in the editor"}});
    edited(true);
  });
  $("add-issue").addEventListener("click", () => {
    S.scenario.issues.push({id: freshId("issue", S.scenario.issues.map((i) => i.id)), name: "New issue", scale: {min: 0, max: 100}});
    edited(true);
  });
  $("source-text").addEventListener("change", () => editSource("source", $("source-text").value.trim()));
  $("assumption-text").addEventListener("change", () => editSource("assumption", $("assumption-text").value.trim()));
  $("rounds-model").addEventListener("change", drawRounds);
  $("rounds-slider").addEventListener("input", drawRounds);
  $("sweep-form").addEventListener("submit", startSweep);
  $("sweep-cancel").addEventListener("click", async () => {
    if (S.sweep) { try { await call("POST", `/api/sweep/${encodeURIComponent(S.sweep)}/cancel`, {}); } catch (e) { $("sweep-state").textContent = errorText(e); } }
  });
  for (const b of document.querySelectorAll("[data-export]")) b.addEventListener("click", () => exportAs(b.dataset.export));
  load(structuredClone(info.initial));
}
start().catch((e) => { $("status").textContent = errorText(e); });
