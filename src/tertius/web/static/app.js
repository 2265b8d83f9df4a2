// tertius serve: the page. It keeps the scenario as data in the canonical YAML layout, sends it
// to the server on every change, and draws what comes back. Text from a scenario is only ever
// set with textContent, never parsed as HTML.
"use strict";

const S = {scenario: null, result: null, thirdParties: null, seq: 0, thirdPartySeq: 0, models: [], limits: {},
           focus: null, sweep: null, timer: null, editedAt: null, editedHere: new Set(),
           undo: [], redo: [], last: undefined, open: new Set(), dirty: false, project: null, schema: null,
           params: {}};  // model parameters that differ from the registry's defaults, by model
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

// One formatter per number of digits, made once: toLocaleString with options builds a new one on
// every call (about 4 % of a redraw's script time in a profile: hover texts call fmt per actor).
const FORMATS = [1, 2, 3].map((digits) => new Intl.NumberFormat("en-GB", {maximumFractionDigits: digits, useGrouping: false}));
function fmt(x) {  // numbers for people: round values printed round, no scientific notation
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (Math.abs(x - Math.round(x)) < 1e-9) return String(Math.round(x));
  const a = Math.abs(x);
  return FORMATS[a >= 100 ? 0 : a >= 1 ? 1 : 2].format(x);
}
const pct = (p) => (p === null || p === undefined) ? "–" : `${Math.round(100 * p)} %`;
// a share of draws: one short of all never reads 100 %, one above none never 0 % (tertius.text.share_words)
const share = (p) => (p === null || p === undefined) ? "–" : (p >= 0.995 && p < 1) ? "over 99 %" : (p > 0 && p < 0.005) ? "under 1 %" : pct(p);

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
function setAt(obj, path, value) {  // missing containers on the way are created
  const keys = parsePath(path);
  const last = keys.pop();
  const holder = keys.reduce((o, k, n) => {
    if (o[k] === undefined || o[k] === null) o[k] = typeof (keys[n + 1] ?? last) === "number" ? [] : {};
    return o[k];
  }, obj);
  holder[last] = value;
}

// A heavy request that finds the server's worker pool full gets 429 with Retry-After: the page
// says so in the status line and tries again after that many seconds, a few times.
const RETRIES = 5;
async function fetchRetrying(url, opts) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, opts);
    if (response.status !== 429 || attempt >= RETRIES) return response;
    const wait = Math.min(30, Math.max(1, parseInt(response.headers.get("retry-after") || "2", 10) || 2));
    $("status").textContent = `the server is busy with other work; trying again in ${wait} s…`;
    $("status").dataset.busy = "1";
    await new Promise((resolve) => setTimeout(resolve, 1000 * wait));
    delete $("status").dataset.busy;
  }
}

async function call(method, url, body, raw) {
  const opts = {method, headers: {}};
  if (body !== undefined) {
    if (raw) { opts.body = body; opts.headers["Content-Type"] = "application/octet-stream"; }
    else { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  }
  const response = await fetchRetrying(url, opts);
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
  $("title").replaceChildren(textInput("title", {label: "scenario title", size: 40}), " ",
    el("small", {}, "id ", idInput(s.id, "scenario id", (v) => { s.id = v; edited(true); })));
  const actors = $("actors"); actors.replaceChildren(
    el("tr", {}, el("th", {text: "id"}), el("th", {text: "name"}), el("th", {text: "capability"}), el("th", {text: "more"}), el("th")));
  s.actors.forEach((a, j) => actors.append(el("tr", {},
    el("td", {}, idInput(a.id, `actor ${a.id} id`, (v) => renameId("actors", j, v))), el("td", {}, textInput(`actors[${j}].name`, {label: `${a.id} name`})),
    el("td", {}, numberInput(`actors[${j}].capability`, null, {label: `${name(a.id)} capability`})),
    el("td", {}, moreFields(`actors[${j}]`, "Actor", ["id", "name", "capability"], a.id)),
    el("td", {}, el("button", {title: `remove ${a.id}`, "aria-label": `remove actor ${a.id}`, text: "×", onclick: () => removeActor(j)})))));
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
    issues.append(el("tr", {}, el("td", {}, idInput(i.id, `issue ${i.id} id`, (v) => renameId("issues", k, v))),
      el("td", {}, textInput(`issues[${k}].name`, {label: `${i.id} name`, size: 18})),
      el("td", {}, numberInput(`issues[${k}].scale.min`, null, {quantity: false, label: `${i.id} min`})),
      el("td", {}, numberInput(`issues[${k}].scale.max`, null, {quantity: false, label: `${i.id} max`})),
      el("td", {}, anchors),
      el("td", {}, numberInput(`issues[${k}].status_quo`, null, {optional: true, label: `${issueName(i.id)} status quo`})),
      el("td", {}, numberInput(`issues[${k}].observed`, null, {optional: true, label: `${issueName(i.id)} observed`})),
      el("td", {}, el("button", {title: `remove ${i.id}`, "aria-label": `remove issue ${i.id}`, text: "×", onclick: () => removeIssue(k)}))));
  });
  const grid = $("stances");
  grid.replaceChildren(el("tr", {}, el("th"), ...s.issues.map((i) => el("th", {text: i.id, title: i.name || i.id}))));
  const index = new Map(s.stances.map((st, n) => [`${st.actor}\u0000${st.issue}`, n]));
  s.actors.forEach((a, j) => {
    const row = el("tr", {}, el("th", {text: name(a.id), title: a.id}));
    s.issues.forEach((i, k) => {
      const n = index.get(`${a.id}\u0000${i.id}`);
      if (n === undefined) { row.append(el("td", {}, emptyStance(a.id, i.id))); return; }
      const pos = numberInput(`stances[${n}].position`, s.stances[n], {label: `${name(a.id)} position on ${i.id}`});
      const sal = numberInput(`stances[${n}].salience`, s.stances[n], {step: "0.05", label: `${name(a.id)} salience on ${i.id}`});
      pos.addEventListener("paste", (e) => pasteBlock(e, j, k, "position"));
      sal.addEventListener("paste", (e) => pasteBlock(e, j, k, "salience"));
      row.append(el("td", {class: "stance"}, pos, sal, el("button", {class: "remove", text: "×",
        title: `remove ${name(a.id)}'s stance on ${i.id}`, "aria-label": `remove ${name(a.id)}'s stance on ${i.id}`,
        onclick: () => { removeStances((st) => st !== s.stances[n]); edited(true); }})));
    });
    grid.append(row);
  });
  drawConflict();
}
function idInput(value, label, apply) {
  const input = el("input", {value, "aria-label": label, size: 10, class: "id"});
  input.addEventListener("change", () => apply(input.value));
  return input;
}
function emptyStance(actor, issue) {
  return el("button", {class: "add", title: `add ${name(actor)}'s stance on ${issue}`, text: "+",
    onclick: () => {
      S.scenario.stances.push(newStance(actor, issue));
      edited(true);
    }});
}
function removeStances(keep) {  // keeps the "edited here" marks on the stances that stay
  const moved = new Map(); const kept = [];
  S.scenario.stances.forEach((st, n) => { if (keep(st)) { moved.set(n, kept.length); kept.push(st); } });
  const marks = new Set();
  for (const p of S.editedHere) {
    const m = p.match(/^stances\[(\d+)\](.*)$/);
    if (!m) marks.add(p); else if (moved.has(Number(m[1]))) marks.add(`stances[${moved.get(Number(m[1]))}]${m[2]}`);
  }
  S.scenario.stances = kept; S.editedHere = marks;
}
function removeFromScenario(kind, index) {
  const list = S.scenario[kind]; const id = list[index].id;
  const field = kind === "actors" ? "actor" : "issue";
  const stances = S.scenario.stances.filter((st) => st[field] === id).length;
  const refs = S.scenario.conflict ? references(S.scenario.conflict, id, "conflict", []) : [];
  if (refs.length || stances) {
    const lines = [`Remove ${kind === "actors" ? name(id) : issueName(id)} (${id})? This also removes:`];
    if (stances) lines.push(`- ${stances} stance${stances > 1 ? "s" : ""}`);
    for (const r of refs.slice(0, 20)) lines.push(`- ${r}`);
    if (refs.length > 20) lines.push(`- and ${refs.length - 20} more in the conflict`);
    lines.push("Undo brings everything back.");
    if (!confirm(lines.join("\n"))) return;
  }
  list.splice(index, 1);
  removeStances((st) => st[field] !== id);
  if (S.scenario.conflict) S.scenario.conflict = purge(S.scenario.conflict, id);
  edited(true);
}
function removeActor(j) { removeFromScenario("actors", j); }
function removeIssue(k) { removeFromScenario("issues", k); }
function freshId(prefix, taken) { let n = taken.length + 1; while (taken.includes(`${prefix}-${n}`)) n += 1; return `${prefix}-${n}`; }

function edited(redraw) {
  S.editedAt = performance.now();
  remember();
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



// ------------------------------------------------------------------ the conflict editor
// Drawn from the scenario format's JSON Schema (served by /api/info), so fields the format gains
// appear here without changes to this code. Ids are offered from the scenario's actors and issues.
function def(schema) {
  let s = schema;
  while (s && s.$ref) s = S.schema.$defs[s.$ref.split("/").pop()];
  return s || {};
}
function isQuantity(schema) {
  const s = def(schema);
  return Array.isArray(s.anyOf) && s.anyOf.some((x) => x.type === "number")
    && s.anyOf.some((x) => x.type === "object" && x.properties && x.properties.value);
}
function nullable(schema) {  // {anyOf: [X, null]} -> X, else null
  const s = def(schema);
  if (!Array.isArray(s.anyOf) || isQuantity(s)) return null;
  const rest = s.anyOf.filter((x) => x.type !== "null");
  return rest.length === 1 && rest.length < s.anyOf.length ? rest[0] : null;
}
function blank(schema) {  // a new value for a field: its default, else the least that has the right shape
  const s = def(schema);
  if (s.default !== undefined && s.default !== null) return structuredClone(s.default);
  if (isQuantity(s)) return {value: 0, assumption: "entered in the editor"};
  if (s.enum) return s.enum[0];
  if (s.type === "array") return [];
  if (s.type === "number" || s.type === "integer") return 0;
  if (s.type === "boolean") return false;
  if (s.type === "string") return "";
  if (s.type === "object") {
    const out = {};
    for (const key of s.required || []) out[key] = blank(s.properties[key]);
    return out;
  }
  const inner = nullable(s);
  return inner ? blank(inner) : null;
}
const label = (key, schema) => ((schema && schema.title) || String(key).replace(/_/g, " ")).toLowerCase();
function idChoices(exclude) {
  const taken = new Set(exclude || []);
  const group = (title, ids) => el("optgroup", {label: title}, ...ids.filter((x) => !taken.has(x)).map((x) => el("option", {value: x, text: x})));
  return [group("actors", S.scenario.actors.map((a) => a.id)), group("issues", S.scenario.issues.map((i) => i.id))];
}
function addSelect(what, exclude, apply) {
  const box = el("select", {"aria-label": what, title: `add to ${what}`}, el("option", {value: "", text: "+ add"}), ...idChoices(exclude));
  box.addEventListener("change", () => { if (box.value) apply(box.value); });
  return box;
}
function fieldFor(path, schema, key, where) {
  const s = def(schema);
  const value = getAt(S.scenario, path);
  const what = `${where} ${label(key, schema)}`.trim();
  if (isQuantity(s)) return numberInput(path, null, {label: what, optional: true});
  const inner = nullable(s);
  if (inner) {
    if (value === undefined || value === null) {
      return el("button", {class: "add", text: `+ ${label(key, schema)}`, title: `add ${what}`,
        onclick: () => { setAt(S.scenario, path, blank(inner)); edited(true); }});
    }
    const d = def(inner);
    if (d.type === "string" && !d.enum) return textField(path, what, true);
    return el("span", {class: "optional"}, fieldFor(path, inner, key, where),
      el("button", {class: "remove", text: "×", title: `remove ${what}`, onclick: () => { deleteUndefined(path); edited(true); }}));
  }
  if (s.enum) {
    const box = el("select", {"aria-label": what, dataset: {path}}, ...s.enum.map((x) => el("option", {value: x, text: x})));
    box.value = value === undefined || value === null ? s.enum[0] : value;
    box.addEventListener("change", () => { setAt(S.scenario, path, box.value); edited(); });
    return box;
  }
  if (s.type === "string") return textField(path, what, false);
  if (s.type === "boolean") {  // a switch of the game (conflict.pivotal, conflict.convening)
    const box = el("input", {type: "checkbox", checked: Boolean(value), "aria-label": what, dataset: {path}});
    box.addEventListener("change", () => { setAt(S.scenario, path, box.checked); edited(); });
    return box;
  }
  if (s.type === "number" || s.type === "integer") return numberInput(path, null, {label: what, quantity: false, optional: true});
  if (s.type === "array") {
    const items = def(s.items);
    const list = Array.isArray(value) ? value : [];
    if (items.type === "string" && !items.enum) {  // a list of ids
      return el("span", {class: "ids", dataset: {path}}, ...list.map((x, n) => el("span", {class: "chip"}, x,
        el("button", {class: "remove", text: "×", title: `remove ${x} from ${what}`,
          onclick: () => { list.splice(n, 1); edited(true); }}))),
        addSelect(what, list, (x) => { setAt(S.scenario, path, [...list, x]); edited(true); }));
    }
    return el("div", {class: "items", dataset: {path}}, ...list.map((_, n) => el("div", {class: "item"},
      objectFields(`${path}[${n}]`, items, `${what} ${n + 1}`),
      el("button", {class: "remove", text: `remove`, title: `remove ${what} ${n + 1}`,
        onclick: () => { list.splice(n, 1); edited(true); }}))),
      el("button", {class: "add", text: `+ ${label(key, schema).replace(/s$/, "")}`, title: `add to ${what}`,
        onclick: () => { setAt(S.scenario, path, [...list, blank(items)]); edited(true); }}));
  }
  if (s.type === "object" && s.additionalProperties && !s.properties) {  // a map from ids to values
    const map = value && typeof value === "object" ? value : {};
    return el("div", {class: "map", dataset: {path}}, ...Object.keys(map).map((k) => el("span", {class: "entry"},
      el("span", {class: "key", text: k}), fieldFor(`${path}.${k}`, s.additionalProperties, "", `${what} of ${k}`),
      el("button", {class: "remove", text: "×", title: `remove ${k} from ${what}`,
        onclick: () => { delete map[k]; edited(true); }}))),
      addSelect(what, Object.keys(map), (k) => { setAt(S.scenario, `${path}.${k}`, blank(s.additionalProperties)); edited(true); }));
  }
  if (s.type === "object") return objectFields(path, s, what);
  return el("span", {class: "muted", text: "(edit in the YAML)"});
}
function textField(path, what, optional) {
  const input = el("input", {value: getAt(S.scenario, path) || "", "aria-label": what, dataset: {path}, size: 16, list: "all-ids"});
  input.addEventListener("change", () => {
    if (optional && input.value.trim() === "") deleteUndefined(path); else setAt(S.scenario, path, input.value);
    edited();
  });
  return input;
}
function objectFields(path, schema, where) {
  const s = def(schema);
  return el("div", {class: "fields"}, ...Object.entries(s.properties || {}).map(([key, sub]) =>
    el("label", {class: "field", title: def(sub).description || null}, el("span", {class: "name", text: label(key, sub)}),
      fieldFor(`${path}.${key}`, sub, key, where))));
}
// The fields of an actor or issue that have no column of their own (location, distance, group…),
// drawn from the schema, so fields added to the format show up here.
function moreFields(path, defName, shown, id) {
  if (!S.schema) return null;
  const schema = S.schema.$defs[defName];
  const rest = Object.fromEntries(Object.entries(schema.properties).filter(([k]) => !shown.includes(k)));
  const set = Object.keys(rest).filter((k) => { const v = getAt(S.scenario, `${path}.${k}`); return v !== undefined && v !== null; });
  const box = el("details", {class: "more", open: S.open.has(path)}, el("summary", {text: set.length ? set.join(", ").replace(/_/g, " ") : "+",
    title: `more about ${id}: ${Object.keys(rest).join(", ")}`}), objectFields(path, {properties: rest}, id));
  box.addEventListener("toggle", () => { if (box.open) S.open.add(path); else S.open.delete(path); });
  return box;
}
function drawConflict() {
  const box = $("conflict");
  if (!S.schema) return;
  const schema = S.schema.properties.conflict;
  const c = S.scenario.conflict;
  $("all-ids").replaceChildren(...S.scenario.actors.map((a) => el("option", {value: a.id, text: name(a.id)})),
    ...S.scenario.issues.map((i) => el("option", {value: i.id, text: issueName(i.id)})));
  if (c === undefined || c === null) {
    box.replaceChildren(el("p", {class: "muted", text: "No conflict: the models forecast a negotiation only. "},
      el("button", {id: "add-conflict", text: "+ conflict", onclick: () => { S.scenario.conflict = blank(nullable(schema)); edited(true); }})));
    return;
  }
  box.replaceChildren(objectFields("conflict", nullable(schema), "conflict"),
    el("button", {class: "remove", text: "remove the conflict", onclick: () => {
      if (confirm("Remove the conflict (sides, third parties, costs, phases)? Undo brings it back.")) { delete S.scenario.conflict; edited(true); }
    }}));
}

// What an actor's or issue's removal takes with it from the conflict, and taking it.
function references(node, id, path, out) {
  if (Array.isArray(node)) node.forEach((x, n) => references(x, id, `${path}[${n}]`, out));
  else if (node !== null && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) { if (k === id) out.push(`${path}.${k}`); else references(v, id, `${path}.${k}`, out); }
  } else if (node === id) out.push(path);
  return out;
}
function refersDirectly(obj, id) {  // an entry (a spillover, a control, a commitment…) about this id
  return Object.values(obj).some((v) => v === id || (v !== null && typeof v === "object" && !Array.isArray(v)
    && Object.values(v).some((w) => w === id)));
}
function purge(node, id) {
  if (Array.isArray(node)) {
    return node.filter((x) => x !== id && !(x !== null && typeof x === "object" && !Array.isArray(x) && refersDirectly(x, id)))
      .map((x) => purge(x, id));
  }
  if (node !== null && typeof node === "object") {
    const out = {};
    for (const [k, v] of Object.entries(node)) if (k !== id) out[k] = purge(v, id);
    return out;
  }
  return node;
}


// ------------------------------------------------------------------ baseline against variant
// Pin the current inputs and results; after edits, the changed inputs and forecasts are listed
// side by side. Both sides are what the server returned: nothing is recomputed here.
function flatten(node, path, out) {
  if (Array.isArray(node)) node.forEach((x, n) => flatten(x, `${path}[${n}]`, out));
  else if (node !== null && typeof node === "object") {
    if ("value" in node && typeof node.value === "number") out.set(path, node.value);
    else for (const [k, v] of Object.entries(node)) flatten(v, path ? `${path}.${k}` : k, out);
  } else out.set(path, node);
  return out;
}
function stanceKeyed(scenario) {  // stances by actor and issue, so removing one does not shift the rest
  const copy = structuredClone(scenario);
  copy.stances = Object.fromEntries((copy.stances || []).map((st) => [`${st.actor}/${st.issue}`, {position: st.position, salience: st.salience}]));
  return copy;
}
function pinBaseline() {
  if (!S.result) return;
  S.baseline = {scenario: structuredClone(S.scenario), result: structuredClone(S.result)};
  drawCompare();
}
function drawCompare() {
  const box = $("compare");
  if (!S.baseline) { box.replaceChildren(el("p", {class: "muted", text: "Pin the current results to compare later edits with them."})); return; }
  const before = flatten(stanceKeyed(S.baseline.scenario), "", new Map());
  const now = flatten(stanceKeyed(S.scenario), "", new Map());
  const inputs = el("table", {class: "grid", id: "compare-inputs"}, el("tr", {}, ...["input", "baseline", "now"].map((h) => el("th", {text: h}))));
  for (const key of new Set([...before.keys(), ...now.keys()])) {
    const a = before.get(key); const b = now.get(key);
    if (a === b) continue;
    inputs.append(el("tr", {class: "changed"}, el("td", {text: key}), el("td", {text: a === undefined ? "–" : typeof a === "number" ? fmt(a) : String(a)}),
      el("td", {text: b === undefined ? "–" : typeof b === "number" ? fmt(b) : String(b)})));
  }
  const r0 = S.baseline.result.forecasts; const r1 = S.result ? S.result.forecasts : {};
  const models = Object.keys(r1).filter((m) => m in r0);
  const issues = [...new Set([...Object.keys(r0[models[0]] || {}), ...Object.keys(r1[models[0]] || {})])];
  const out = el("table", {class: "grid", id: "compare-forecasts"}, el("tr", {}, el("th", {text: "issue"}), ...models.map((m) => el("th", {text: m}))));
  for (const i of issues) {
    out.append(el("tr", {}, el("th", {text: i}), ...models.map((m) => {
      const a = r0[m][i]; const b = r1[m][i];
      const moved = a === undefined || b === undefined || Math.abs(a - b) > 1e-9;
      return el("td", {class: moved ? "changed" : null, dataset: {model: m}}, moved ? `${fmt(a)} → ${fmt(b)}` : fmt(b));
    })));
  }
  box.replaceChildren(el("h3", {text: "Changed inputs"}),
    inputs.rows.length > 1 ? inputs : el("p", {class: "muted", text: "no input differs from the baseline"}),
    el("h3", {text: "Forecasts: baseline → now"}), el("div", {class: "scroll"}, out));
}

// ------------------------------------------------------------------ keeping work
// Every edit is a step that can be undone; the state after it is autosaved in the browser's
// storage (nothing leaves the machine), and named projects are kept there too.
const STORE = "tertius:";
function snapshot() { return JSON.stringify({scenario: S.scenario, editedHere: [...S.editedHere], params: S.params}); }
function remember() {
  const now = snapshot();
  if (S.last !== undefined && S.last !== now) { S.undo.push(S.last); if (S.undo.length > 200) S.undo.shift(); S.redo = []; }
  S.last = now;
  S.dirty = true;
  autosave();
  drawHistory();
}
function autosave() {
  try { localStorage.setItem(STORE + "autosave", JSON.stringify({state: S.last, project: S.project, dirty: S.dirty, served: S.served})); }
  catch (e) { $("status").textContent = `autosave failed: ${e.name}`; }
}
function restore(state) {
  const st = JSON.parse(state);
  S.scenario = st.scenario; S.editedHere = new Set(st.editedHere || []); S.params = st.params || {};
  S.last = state; S.editedAt = performance.now();
  drawEditor(); drawParams(S.models); autosave(); drawHistory();
  clearTimeout(S.timer); S.timer = setTimeout(runModels, 0);
}
function undo() { if (!S.undo.length) return; S.redo.push(S.last); S.dirty = true; restore(S.undo.pop()); }
function redo() { if (!S.redo.length) return; S.undo.push(S.last); S.dirty = true; restore(S.redo.pop()); }
function drawHistory() {
  $("undo").disabled = !S.undo.length; $("redo").disabled = !S.redo.length;
  $("project-state").textContent = (S.project ? `project “${S.project}”` : "no project") + (S.dirty ? ", unsaved changes (autosaved in this browser)" : ", saved");
}
function projects() {
  const out = [];
  for (let n = 0; n < localStorage.length; n++) {
    const key = localStorage.key(n);
    if (key.startsWith(STORE + "project:")) out.push(key.slice((STORE + "project:").length));
  }
  return out.sort();
}
function drawProjects() {
  $("projects").replaceChildren(el("option", {value: "", text: projects().length ? "(pick a project)" : "(no saved projects)"}),
    ...projects().map((p) => el("option", {value: p, text: p})));
}
function saveAs() {
  const nameText = $("project-name").value.trim() || S.scenario.title || S.scenario.id;
  if (projects().includes(nameText) && nameText !== S.project && !confirm(`Replace the saved project “${nameText}”?`)) return;
  localStorage.setItem(STORE + "project:" + nameText, S.last);
  S.project = nameText; S.dirty = false; autosave(); drawProjects(); drawHistory();
  $("project-name").value = nameText;
}
function mayDiscard() { return !S.dirty || confirm("Your unsaved changes will be replaced (save them as a project first to keep them). Go on?"); }
function openProject() {
  const p = $("projects").value;
  if (!p || !mayDiscard()) return;
  const state = localStorage.getItem(STORE + "project:" + p);
  if (state === null) return;
  S.project = p; S.undo = []; S.redo = []; S.dirty = false;
  $("project-name").value = p;
  restore(state);
}
function deleteProject() {
  const p = $("projects").value;
  if (!p || !confirm(`Delete the saved project “${p}” from this browser?`)) return;
  localStorage.removeItem(STORE + "project:" + p);
  if (S.project === p) { S.project = null; S.dirty = true; autosave(); }
  drawProjects(); drawHistory();
}

// Ids are references: renaming one renames it wherever the scenario refers to it.
function renameRefs(node, old, now) {
  if (Array.isArray(node)) return node.map((x) => renameRefs(x, old, now));
  if (node !== null && typeof node === "object") {
    const out = {};
    for (const [k, v] of Object.entries(node)) out[k === old ? now : k] = renameRefs(v, old, now);
    return out;
  }
  return node === old ? now : node;
}
function renameId(kind, index, now) {
  const list = S.scenario[kind]; const old = list[index].id;
  now = now.trim();
  if (!now || now === old) { drawEditor(); return; }
  if (list.some((x) => x.id === now)) { showScenarioError({error: `the id '${now}' is taken`, message: `the id '${now}' is taken`, path: `${kind}[${index}].id`, fix: "choose another id"}); return; }
  list[index].id = now;
  const field = kind === "actors" ? "actor" : "issue";
  for (const st of S.scenario.stances) if (st[field] === old) st[field] = now;
  if (S.scenario.conflict) S.scenario.conflict = renameRefs(S.scenario.conflict, old, now);
  edited(true);
}

// A block copied from a spreadsheet (tab-separated rows) fills the grid from the cell pasted into:
// rows are actors, columns issues, and the values go to the same field (position or salience).
function pasteBlock(event, actorIndex, issueIndex, field) {
  const text = (event.clipboardData || window.clipboardData).getData("text");
  if (!text.includes("\t") && !text.trim().includes("\n")) return;  // one value: the browser's own paste
  event.preventDefault();
  const rows = text.replace(/\r/g, "").replace(/\n$/, "").split("\n").map((r) => r.split("\t"));
  const s = S.scenario; const bad = [];
  rows.forEach((cells, dr) => cells.forEach((cellText, dc) => {
    const a = s.actors[actorIndex + dr]; const i = s.issues[issueIndex + dc];
    if (!a || !i || cellText.trim() === "") return;
    const value = Number(cellText.trim().replace(",", "."));
    if (!Number.isFinite(value)) { bad.push(cellText.trim()); return; }
    let n = s.stances.findIndex((st) => st.actor === a.id && st.issue === i.id);
    if (n < 0) { s.stances.push(newStance(a.id, i.id)); n = s.stances.length - 1; }
    const holder = s.stances[n];
    const path = `stances[${n}].${field}`;
    setAt(s, path, value);
    if (holder.source || holder.assumption) detachHolderProvenance(holder, path);
    S.editedHere.add(path);
  }));
  edited(true);
  if (bad.length) showScenarioError({error: `pasted cells that are not numbers were skipped: ${bad.slice(0, 5).join(", ")}`, message: "", path: null, fix: null});
}
function newStance(actor, issue) {
  const i = S.scenario.issues.find((x) => x.id === issue);
  const sc = (i && i.scale) || {min: 0, max: 100};
  return {actor, issue, position: {value: (Number(sc.min) + Number(sc.max)) / 2, assumption: "entered in the editor: the middle of the scale"},
          salience: {value: 0.5, assumption: "entered in the editor"}};
}
function meanCapability() {
  const caps = S.scenario.actors.map((a) => Number(qv(a.capability))).filter(Number.isFinite);
  return caps.length ? caps.reduce((x, y) => x + y, 0) / caps.length : 0;
}

// ------------------------------------------------------------------ model parameters
// One field per parameter that a model declares in the registry (its defaults, served by
// /api/info); the values that differ from the defaults go with every run and sweep.
function drawParams(models) {
  const box = $("params");
  box.replaceChildren();
  for (const m of models) {
    const names = Object.keys(m.params || {});
    if (!names.length) continue;
    const set = el("fieldset", {dataset: {model: m.id}}, el("legend", {text: m.id, title: m.summary}));
    for (const k of names) {
      const def = m.params[k];
      const given = (S.params[m.id] || {})[k];
      const value = given === undefined ? def : given;
      let input;
      if (typeof def === "boolean") input = el("input", {type: "checkbox", checked: value});
      else if (typeof def === "number") input = el("input", {type: "number", step: Number.isInteger(def) ? "1" : "any", value: String(value)});
      else input = el("input", {type: "text", value: value === null ? "" : String(value)});
      input.dataset.param = k; input.title = `default ${def === null ? "none" : String(def)}`;
      input.addEventListener("change", () => {
        let v = typeof def === "boolean" ? input.checked : typeof def === "number" ? Number(input.value) : input.value;
        if (def === null && v === "") v = null;
        if (typeof def === "number" && (input.value.trim() === "" || !Number.isFinite(v))) { v = def; input.value = String(def); }
        const mine = S.params[m.id] = S.params[m.id] || {};
        if (v === def) delete mine[k]; else mine[k] = v;
        if (!Object.keys(mine).length) delete S.params[m.id];
        set.classList.toggle("changed", Boolean(S.params[m.id]));
        edited(false);
      });
      set.append(el("label", {}, `${k} `, input));
    }
    set.append(el("button", {type: "button", text: "defaults", onclick: () => { delete S.params[m.id]; drawParams(models); edited(false); }}));
    set.classList.toggle("changed", Boolean(S.params[m.id]));
    box.append(set);
  }
}

// ------------------------------------------------------------------ running the models
async function runModels() {
  const seq = ++S.seq;
  const started = S.editedAt;
  $("status").textContent = "running…";
  try {
    const sent = performance.now();
    const result = await call("POST", "/api/run", {scenario: S.scenario, seed: 0, params: S.params});
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
    breakevensStale();
    runThirdParties(seq);
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
  drawForecastTable(r, s, models);
  drawCharts(models);
  drawRounds();
  drawCompare();
}

// The forecast table's rows and cells are made when its shape (models, issues, an observed column)
// changes; an edit that keeps the shape only rewrites the cells whose text changed.
function drawForecastTable(r, s, models) {
  const table = $("forecast-table");
  const observedAny = s.issues.some((i) => i.observed !== undefined && i.observed !== null);
  const shape = JSON.stringify([models, models.map((m) => r.models[m].summary), s.issues.map((i) => [i.id, i.name]), observedAny]);
  if (table.dataset.shape !== shape) {
    table.dataset.shape = shape;
    table.replaceChildren(el("tr", {}, el("th", {text: "issue"}), observedAny ? el("th", {text: "observed"}) : null,
      ...models.map((m) => el("th", {text: m, title: r.models[m].summary}))),
      ...s.issues.map((i) => el("tr", {dataset: {issue: i.id}}, el("th", {text: i.id, title: i.name || i.id}),
        observedAny ? el("td", {class: "observed"}) : null, ...models.map((m) => el("td", {dataset: {model: m}})))),
      ...(observedAny ? [el("tr", {class: "mae"}, el("th", {text: "mean absolute error (% of scale)",
        title: "as tertius run reports it: each error as a percentage of its issue's scale span, averaged"}), el("td"),
        ...models.map((m) => el("td", {dataset: {model: m}})))] : []));
  }
  s.issues.forEach((i, k) => {
    const row = table.rows[k + 1];
    if (observedAny) setCell(row.querySelector("td.observed"), fmt(qv(i.observed)));
    models.forEach((m, n) => {
      const e = r.errors[i.id] ? r.errors[i.id][m] : null;  // the library's error table, not computed here
      const err = e ? e.error : null;
      const none = err === null || err === undefined;
      setCell(row.cells[n + (observedAny ? 2 : 1)], fmt(r.forecasts[m][i.id]), none ? null : ` (${err > 0 ? "+" : ""}${fmt(err)})`,
              none ? null : `error ${fmt(err)} on the issue's scale, ${fmt(e.pct)} % of its span`);
    });
  });
  if (observedAny) {  // the MAE of tertius run: mean absolute error in % of each issue's span
    const row = table.rows[s.issues.length + 1];
    models.forEach((m, n) => {
      const sc = r.scores ? r.scores[m] : null;
      setCell(row.cells[n + 2], sc && sc.mae !== null ? fmt(sc.mae) : "–");
    });
  }
}
const SHOWN = new WeakMap();  // what each forecast cell shows, so an unchanged one is left alone
function setCell(td, text, small, title) {  // a cell's number, its error in small print, its tooltip
  const key = `${text}\u0000${small || ""}\u0000${title || ""}`;
  if (SHOWN.get(td) === key) return;
  SHOWN.set(td, key);
  td.replaceChildren(text, ...(small ? [el("small", {text: small})] : []));
  if (title) td.title = title; else td.removeAttribute("title");
}

// Okabe and Ito's colours (2008), chosen to stay apart for colour-blind readers, and one wine
// (Tol); each model also has its own marker. Actors are light grey circles, the observed
// outcome a black star. tests/test_browser.py checks the colours in a deuteranopia simulation.
const PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#882255"];
const SYMBOLS = ["diamond", "square", "triangle-up", "circle", "diamond-wide", "triangle-down", "pentagon", "hexagon"];
const ACTOR_COLOUR = "#d0d0d0";
const OBSERVED_COLOUR = "#000000";
// No plotly toolbar entry that can reach the network: the page holds confidential scenarios.
const CHART_CONFIG = {displaylogo: false, responsive: true, showSendToCloud: false, showEditInChartStudio: false,
  showLink: false, plotlyServerURL: "", modeBarButtonsToRemove: ["sendChartToCloud", "sendDataToCloud", "editInChartStudio", "select2d", "lasso2d"]};
const modelColour = (n) => PALETTE[n % PALETTE.length];
const modelSymbol = (n) => SYMBOLS[n % SYMBOLS.length];

function drawCharts(models) {
  if (typeof Plotly === "undefined") return;
  const s = S.scenario; const r = S.result;
  $("chart-legend").replaceChildren(...models.map((m, n) => el("span", {}, el("b", {style: `color:${modelColour(n)}`, text: ["◆", "■", "▲", "●", "◆", "▼", "⬟", "⬢"][n % 8]}), ` ${m}`)),
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
      marker: {size: weight.map((w) => 6 + 22 * Math.sqrt(w / top)), color: ACTOR_COLOUR, opacity: 0.8, line: {color: "#6b6b6b", width: 1}},
      text: st.map((x, n) => `${name(x.actor)}<br>position ${fmt(qv(x.position))}<br>salience ${fmt(qv(x.salience))}<br>capability ${fmt(cap(x.actor))}<br>capability × salience ${fmt(weight[n])}`),
      hovertemplate: "%{text}<extra></extra>"}];
    // every model's forecast in one trace, a point per model with its own colour and marker: Plotly's
    // work grows with the traces, and one trace instead of a trace per model halves a chart's redraw
    traces.push({type: "scatter", mode: "markers", name: "forecasts", x: models.map((m) => r.forecasts[m][i.id]),
      y: models.map(() => "forecasts"), text: models,
      marker: {symbol: models.map((m, n) => modelSymbol(n)), size: 12, color: models.map((m, n) => modelColour(n)),
               line: {color: "#333", width: 0.5}},
      hovertemplate: "%{text}: %{x:.3~f}<extra></extra>"});
    if (i.observed !== undefined && i.observed !== null) {
      traces.push({type: "scatter", mode: "markers", name: "observed", x: [qv(i.observed)], y: ["observed"],
        marker: {symbol: "star", size: 15, color: OBSERVED_COLOUR}, hovertemplate: "observed: %{x:.3~f}<extra></extra>"});
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
    Plotly.react(box.querySelector(".plot"), traces, layout, CHART_CONFIG);
  }
}

function drawRounds() {
  const rounds = S.result.rounds; const pick = $("rounds-model");
  const models = Object.keys(rounds);
  const current = pick.value;
  pick.replaceChildren(...models.map((m) => el("option", {value: m, text: m})));
  if (models.includes(current)) pick.value = current;
  const r = rounds[pick.value];
  if (!r) {
    $("rounds-table").replaceChildren(); $("rounds-moves").replaceChildren();
    if (typeof Plotly !== "undefined") Plotly.purge($("rounds-chart"));
    return;
  }
  const n = Math.max(...Object.values(r.values).map((v) => v.length)) - 1;
  const slider = $("rounds-slider");
  slider.max = String(n);
  if (Number(slider.value) > n) slider.value = String(n);
  const at = Number(slider.value);
  $("rounds-at").textContent = String(at);
  $("rounds-table").replaceChildren(el("tr", {}, el("th", {text: "issue"}), el("th", {text: `${r.label}, round ${at}`})),
    ...Object.entries(r.values).map(([id, v]) => el("tr", {}, el("th", {text: issueName(id)}), el("td", {text: fmt(v[Math.min(at, v.length - 1)])}))));
  roundsChartWhenShown();
  const moves = at > 0 ? (r.moves[at - 1] || []) : [];
  $("rounds-moves").replaceChildren(...(moves.length ? moves.map((m) => el("li", {text: m.text}))
    : [el("li", {class: "muted", text: at === 0 ? "round 0: the positions as entered" : "no moves in this round"})]));
}

// The rounds chart (a panel per issue, about a third of a redraw's time) is drawn while it is on
// screen or within a screen of it; an edit made while it is further away only marks it stale, and
// it is drawn, from the latest run, as it comes into view (window.tertiusDeferred times that draw).
// The forecast table and the per-issue charts are always drawn at once.
const ROUNDS = {near: false, stale: false};
function roundsChartWhenShown() {
  if (!ROUNDS.near) { ROUNDS.stale = true; return; }
  ROUNDS.stale = false;
  const r = S.result.rounds[$("rounds-model").value];
  if (r) drawRoundsChart(r, Number($("rounds-slider").value));
}
function watchRoundsChart() {
  window.tertiusDeferred = [];
  if (typeof IntersectionObserver === "undefined") { ROUNDS.near = true; return; }  // no observer: always draw
  new IntersectionObserver((entries) => {
    ROUNDS.near = entries[entries.length - 1].isIntersecting;
    if (!ROUNDS.near || !ROUNDS.stale || !S.result) return;
    const t = performance.now();
    roundsChartWhenShown();
    window.tertiusDeferred.push(performance.now() - t);
    document.body.dataset.roundsDrawn = String(Number(document.body.dataset.roundsDrawn || 0) + 1);
  }, {rootMargin: "100% 0px"}).observe($("rounds"));
}

// The k-th of a column of per-issue panels: its axes' suffix, its issue's scale, and where it sits.
function issuePanel(ids, k, gap) {
  const issue = S.scenario.issues.find((x) => x.id === ids[k]) || {};
  const top = 1 - k / ids.length;
  return {axis: k === 0 ? "" : String(k + 1), sc: issue.scale || {min: 0, max: 100}, top, bottom: top - 1 / ids.length + gap};
}

// Position over rounds, one panel per issue, on the issue's own scale: each actor's position
// after each round (the library's per-round output) in grey, the model's forecast after each
// round in the model's colour, and a line at the selected round.
function drawRoundsChart(r, at) {
  if (typeof Plotly === "undefined") return;
  const ids = Object.keys(r.positions || {});
  const n = Object.keys(S.result.forecasts).indexOf($("rounds-model").value);
  const traces = []; const layout = {height: 56 + 150 * ids.length, margin: {l: 40, r: 10, t: 26, b: 30}, showlegend: false,
    font: {family: "system-ui, sans-serif", size: 11}, annotations: [], shapes: [], plot_bgcolor: "#fafafa"};
  const gap = 0.25 / Math.max(1, ids.length);
  ids.forEach((id, k) => {
    const {axis, sc, top, bottom} = issuePanel(ids, k, gap);
    const steps = r.positions[id];
    const actors = [...new Set(steps.flatMap((p) => Object.keys(p)))];
    for (const a of actors) {
      traces.push({type: "scatter", mode: "lines", x: steps.map((_, t) => t), y: steps.map((p) => p[a] === undefined ? null : p[a]),
        line: {color: ACTOR_COLOUR, width: 1}, name: name(a), xaxis: `x${axis}`, yaxis: `y${axis}`,
        hovertemplate: `${name(a)}: %{y:.3~f} after round %{x}<extra></extra>`});
    }
    const v = r.values[id] || [];
    traces.push({type: "scatter", mode: "lines+markers", x: v.map((_, t) => t), y: v, name: r.label, xaxis: `x${axis}`, yaxis: `y${axis}`,
      line: {color: modelColour(Math.max(0, n)), width: 2.5}, marker: {symbol: modelSymbol(Math.max(0, n)), size: 5},
      hovertemplate: `${r.label}: %{y:.3~f} after round %{x}<extra></extra>`});
    const span = Number(sc.max) - Number(sc.min);
    layout[`xaxis${axis}`] = {anchor: `y${axis}`, fixedrange: true, zeroline: false, dtick: steps.length > 12 ? null : 1,
      title: k === ids.length - 1 ? {text: "round"} : null};
    layout[`yaxis${axis}`] = {domain: [Math.max(0, bottom), top - 0.02], anchor: `x${axis}`, fixedrange: true, zeroline: false,
      range: [Number(sc.min) - 0.04 * span, Number(sc.max) + 0.04 * span]};
    layout.annotations.push({text: issueName(id), xref: "paper", yref: "paper", x: 0, y: top, xanchor: "left", yanchor: "bottom",
      showarrow: false, font: {size: 11}});
    layout.shapes.push({type: "line", xref: `x${axis}`, yref: `y${axis} domain`, x0: at, x1: at, y0: 0, y1: 1,
      line: {color: "#333", width: 1, dash: "dot"}});
  });
  Plotly.react($("rounds-chart"), traces, layout, CHART_CONFIG);
}

// ------------------------------------------------------------------ third parties
async function runThirdParties(seq) {
  if (!S.scenario.conflict) { $("thirdparty").replaceChildren(el("p", {class: "muted", text: "This scenario has no conflict, so no third-party analysis."})); return; }
  const mine = ++S.thirdPartySeq;
  try {
    const out = await call("POST", "/api/third-parties", {scenario: S.scenario, seed: 0, draws: 200});
    if (mine !== S.thirdPartySeq || seq !== S.seq) return;
    S.thirdParties = out.third_parties;
    drawThirdParties(out.third_parties);
    document.body.dataset.thirdParties = String(Number(document.body.dataset.thirdParties || 0) + 1);
  } catch (e) {
    if (mine === S.thirdPartySeq) $("thirdparty").replaceChildren(el("p", {class: "error", text: errorText(e)}));
  }
}
function optionName(o, sides) {  // the labels of the Option table, served by /api/info
  const label = S.optionLabels[o];
  return label === undefined ? o : label.replace("{a}", () => sides[0]).replace("{b}", () => sides[1]);
}
function drawThirdParties(b) {
  const box = $("thirdparty"); box.replaceChildren();
  if (!b) return;
  for (const ph of b.phases) {
    box.append(el("h3", {text: ph.name || ph.id || "the conflict"}),
      el("p", {class: "muted", text: `${ph.sides[0]} against ${ph.sides[1]}; chance of a win for ${ph.sides[0]} ${pct(ph.p_a_wins)}; ${ph.method}${ph.converged ? "" : " (best responses cycled)"}.`}));
    const table = el("table", {class: "grid"}, el("tr", {}, ...["third party", "option", "expected utility", "rank",
      "probability", "first in perturbed draws"].map((h) => el("th", {text: h}))));
    for (const tp of ph.third_parties) {
      b.options.forEach((o, n) => {
        const eq = tp.equilibrium === o;
        table.append(el("tr", {class: eq ? "chosen" : null},
          n === 0 ? el("th", {rowspan: b.options.length, text: tp.name || tp.third_party}) : null,
          el("td", {text: optionName(o, ph.sides) + (eq ? " ◀ equilibrium" : "") + (tp.actual && tp.actual.option === o ? " (recorded)" : "")}),
          el("td", {text: fmt(tp.options[o].expected_utility)}),
          el("td", {text: String(tp.ranking.indexOf(o) + 1)}),
          el("td", {text: pct(tp.probabilities[o])}),
          el("td", {text: tp.perturbation ? share(tp.perturbation.first[o]) : "–"})));
      });
    }
    box.append(table);
    for (const tp of ph.third_parties) box.append(el("p", {class: "explain"}, el("strong", {text: `${tp.name || tp.third_party}: `}), tp.explanation));
  }
}

// ------------------------------------------------------------------ break-even values
// What would have to be true: /api/breakeven gives the break-even values of tertius run's results
// in the report's own views and words (numbers as the report prints them, its tornado charts as
// SVG); the page only places them. A search takes seconds, so it runs when asked, and an edit
// marks the values shown as found for an earlier state of the scenario.
const BE = {seq: 0, at: null};
async function findBreakevens() {
  const mine = ++BE.seq; const at = S.seq;
  $("breakeven-run").disabled = true;
  $("breakeven-state").textContent = "searching… (a few seconds)";
  try {
    const out = await call("POST", "/api/breakeven", {scenario: S.scenario, seed: 0, params: S.params});
    if (mine !== BE.seq) return;
    BE.at = at;
    drawBreakevens(out);
    $("breakeven-state").textContent = `found in ${fmt(out.seconds)} s; ${out.method || ""}`;
    document.body.dataset.breakevens = String(Number(document.body.dataset.breakevens || 0) + 1);
  } catch (e) {
    if (mine === BE.seq) $("breakeven-state").textContent = errorText(e);
  } finally {
    if (mine === BE.seq) $("breakeven-run").disabled = false;
  }
}
function breakevensStale() {  // called after each run: an edit since the search leaves its values out of date
  if (BE.at === null || BE.at === S.seq) return;
  $("breakeven").classList.add("stale");
  $("breakeven-state").textContent = "The scenario has changed since these values were found: press the button to find them again.";
}
function drawBreakevens(out) {
  const box = $("breakeven"); box.classList.remove("stale"); box.replaceChildren();
  const mv = out.moves;
  if (mv) {
    box.append(el("h3", {text: "What would move the forecasts"}),
      el("p", {class: "muted", text: `For each issue, the assumed input whose smallest change within its range moves ${mv.model}'s forecast by more than 10 % of the issue's scale, the value at which it does, and where the forecast then lands.`}));
    const table = el("table", {id: "breakeven-moves", class: "grid", dataset: {model: mv.model}},
      el("tr", {}, ...["issue", "forecast", "input", "assumed", "moves it at", "forecast then"].map((h) => el("th", {text: h}))));
    for (const r of mv.rows) {
      if (!r.inputs.length) {
        table.append(el("tr", {dataset: {issue: r.issue}}, el("th", {text: r.issue}), el("td", {text: r.text.forecast}),
          el("td", {colspan: 4, class: "muted", text: `safe: none of the ${r.n} assumed inputs moves it that far within its range`})));
      }
      r.inputs.forEach((x, k) => table.append(el("tr", {dataset: {issue: r.issue}},
        k === 0 ? el("th", {rowspan: r.inputs.length, text: r.issue}) : null,
        k === 0 ? el("td", {rowspan: r.inputs.length, text: r.text.forecast}) : null,
        el("td", {text: x.label}), el("td", {text: x.text.value}), el("td", {text: x.text.at}), el("td", {text: x.text.to}))));
    }
    box.append(el("div", {class: "scroll"}, table));
  }
  if (out.choices.length) {
    box.append(el("h3", {text: "What would change the third parties' choices"}),
      el("p", {class: "muted", text: "For each third party's option, the assumed inputs closest to changing it: each bar is the input's range (its declared range, or the default rule for its kind of input); red where the option changes."}));
  }
  for (const q of out.choices) {
    const part = el("div", {class: "breakeven-choice", dataset: {phase: q.phase || "", thirdParty: q.third_party}});
    if (!q.inputs.length) {
      part.append(el("p", {}, el("b", {text: q.question}), `: none of the ${q.n} assumed inputs changes it within its range.`));
    } else {
      const table = el("table", {class: "grid"}, el("tr", {}, ...["input", "assumed", "range", "changes at"].map((h) => el("th", {text: h}))));
      for (const r of q.inputs) {
        table.append(el("tr", {dataset: {input: r.input}}, el("th", {text: r.label}), el("td", {text: r.text.value}),
          el("td", {text: r.text.range}), el("td", {text: r.text.flips.join("; ")})));
      }
      part.append(el("h4", {text: q.question}),
        el("img", {class: "tornado", alt: `tornado chart: ${q.question}`, src: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(q.chart)}),
        table, el("p", {class: "muted", text: `${q.safe} of ${q.n} assumed inputs cannot change it within their ranges.`}));
    }
    box.append(part);
  }
}

// ------------------------------------------------------------------ sweeps
async function startSweep(ev) {
  ev.preventDefault();
  const num = (id) => Number($(id).value);
  $("sweep-state").textContent = "starting…";
  $("sweep-state").classList.remove("error");
  try {
    const model = $("sweep-model").value;
    const job = await call("POST", "/api/sweep", {scenario: S.scenario, model, params: S.params[model] ? {[model]: S.params[model]} : {}, n: num("sweep-n"),
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
  drawSweepShares(res.summary);
  if (typeof Plotly === "undefined") return;
  const ids = Object.keys(res.values);
  // one row per issue, each on its own scale (ports 0-11 and indemnity 0-16 are not squashed onto 0-100)
  const traces = []; const layout = {height: 40 + 70 * ids.length, margin: {l: 10, r: 10, t: 10, b: 10}, showlegend: false,
    font: {family: "system-ui, sans-serif", size: 11}, annotations: []};
  const gap = 0.35 / Math.max(1, ids.length);
  ids.forEach((id, k) => {
    const {axis, sc, top, bottom} = issuePanel(ids, k, gap);
    traces.push({type: "box", x: res.values[id], y: res.values[id].map(() => id), name: issueName(id), orientation: "h",
      boxpoints: false, marker: {color: PALETTE[4]}, hoverinfo: "x", xaxis: `x${axis}`, yaxis: `y${axis}`});
    traces.push({type: "scatter", mode: "markers", x: [base[id]], y: [id], xaxis: `x${axis}`, yaxis: `y${axis}`,
      marker: {symbol: "diamond", size: 10, color: PALETTE[5]}, hovertemplate: "unperturbed: %{x:.3~f}<extra></extra>"});
    const span = Number(sc.max) - Number(sc.min);
    layout[`xaxis${axis}`] = {range: [Number(sc.min) - 0.03 * span, Number(sc.max) + 0.03 * span], anchor: `y${axis}`,
      fixedrange: true, zeroline: false};
    layout[`yaxis${axis}`] = {domain: [Math.max(0, bottom), top - 0.02], anchor: `x${axis}`, showticklabels: false, fixedrange: true};
    layout.annotations.push({text: issueName(id), xref: "paper", yref: "paper", x: 0, y: top, xanchor: "left", yanchor: "bottom",
      showarrow: false, font: {size: 11}});
  });
  Plotly.react($("sweep-chart"), traces, layout, CHART_CONFIG);
}

// Beside the sweep chart: in what share of the draws each option is a third party's equilibrium
// (the sweep summary's third_party_shares, as tertius sweep reports it).
function drawSweepShares(summary) {
  const shares = summary.third_party_shares || {};
  const box = $("sweep-shares");
  const rows = [];
  for (const [phase, parties] of Object.entries(shares)) {
    const ph = (summary.phases || {})[phase] || {name: phase, sides: []};
    for (const [tp, options] of Object.entries(parties)) {
      const best = Object.entries(options).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
      rows.push(el("tr", {}, el("th", {text: (ph.name ? `${ph.name}: ` : "") + ((summary.names || {})[tp] || tp)}),
        el("td", {text: best.map(([o, v]) => `${optionName(o, ph.sides)} ${share(v)}`).join(" · ") || "–"})));
    }
  }
  box.replaceChildren(...(rows.length ? [el("caption", {text: "Third parties: share of draws in which each option is the equilibrium"}),
    el("tr", {}, el("th", {text: "third party"}), el("th", {text: "equilibrium option, share of draws"})), ...rows] : []));
}

// ------------------------------------------------------------------ loading and exporting
function load(data, fresh) {
  S.scenario = data;
  for (const key of ["actors", "issues", "stances"]) S.scenario[key] = S.scenario[key] || [];
  S.focus = null; $("source-panel").hidden = true;
  S.editedAt = null; S.editedHere = new Set();
  if (fresh) { S.undo = []; S.redo = []; S.last = undefined; }
  remember();  // loading another scenario can be undone too
  S.dirty = false; S.project = null; autosave(); drawHistory();
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
  if (!mayDiscard()) { $("pick").value = $("pick").dataset.shown; return; }  // "no": the box shows what stays
  $("pick").dataset.shown = id;
  if (id === "") { load({id: "new-scenario", title: "New scenario", actors: [], issues: [], stances: []}); return; }
  if (id === "initial") { load(structuredClone(S.initial)); return; }
  try { load((await call("GET", `/api/bundled/${encodeURIComponent(id)}`)).scenario); }
  catch (e) { $("upload-error").textContent = errorText(e); }
}
async function upload(select) {
  const file = $("upload").files[0];
  if (!file || (!select && !mayDiscard())) return;
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
    // fetched here, not with call(): results.json is JSON too, and must arrive as a file
    const response = await fetchRetrying(`/api/export/${kind}`, {method: "POST", headers: {"Content-Type": "application/json"},
                                                         body: JSON.stringify({scenario: S.scenario, seed: 0})});
    if (!response.ok) {
      const type = response.headers.get("content-type") || "";
      throw type.startsWith("application/json") ? await response.json() : {error: `the server answered ${response.status}`};
    }
    const blob = await response.blob();
    const disposition = response.headers.get("content-disposition") || "";
    const m = disposition.match(/filename="([^"]+)"/);
    const a = el("a", {href: URL.createObjectURL(blob), download: m ? m[1] : kind});
    document.body.append(a); a.click(); a.remove();
    $("status").textContent = `downloaded ${m ? m[1] : kind}`;
  } catch (e) { $("status").textContent = errorText(e); }
}

async function start() {
  watchRoundsChart();
  const info = await call("GET", "/api/info");
  S.initial = info.initial; S.limits = info.limits; S.schema = info.schema;
  $("version").textContent = info.version;
  $("upload").accept = info.uploads.join(",");  // the format table's suffixes, as the server reads them
  $("sweep-n").max = String(info.limits.max_sweep);
  const pickBox = $("pick");
  const initialBundled = info.bundled.some((b) => b.id === info.initial.id);
  if (!initialBundled) pickBox.append(el("option", {value: "initial", text: info.initial.title || info.initial.id}));
  for (const b of info.bundled) pickBox.append(el("option", {value: b.id, text: b.title}));
  pickBox.append(el("option", {value: "", text: "(empty scenario)"}));
  pickBox.value = initialBundled ? info.initial.id : "initial";
  pickBox.dataset.shown = pickBox.value;
  pickBox.addEventListener("change", pick);
  $("sweep-model").replaceChildren(...info.models.map((m) => el("option", {value: m.id, text: m.id})));
  $("sweep-model").value = "compromise";
  S.models = info.models;
  S.optionLabels = Object.fromEntries(info.options.map((o) => [o.code, o.label]));
  drawParams(S.models);
  $("upload").addEventListener("change", () => upload(null));
  $("choices").addEventListener("change", () => { if ($("choices").value) upload($("choices").value); });
  $("add-actor").addEventListener("click", () => {
    const mean = meanCapability();
    S.scenario.actors.push({id: freshId("actor", S.scenario.actors.map((a) => a.id)), name: "New actor",
                            capability: {value: Number(mean.toPrecision(6)), assumption: S.scenario.actors.length
                              ? "entered in the editor: the mean of the other actors' capabilities" : "entered in the editor"}});
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
  $("undo").addEventListener("click", undo);
  $("pin").addEventListener("click", pinBaseline);
  $("breakeven-run").addEventListener("click", findBreakevens);
  $("redo").addEventListener("click", redo);
  $("project-save").addEventListener("click", saveAs);
  $("project-open").addEventListener("click", openProject);
  $("project-delete").addEventListener("click", deleteProject);
  document.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== "z" || e.target.matches("input, textarea")) return;
    e.preventDefault(); if (e.shiftKey) redo(); else undo();
  });
  window.addEventListener("beforeunload", (e) => { if (S.dirty) { e.preventDefault(); e.returnValue = ""; } });
  drawProjects();
  S.served = info.initial.id;
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(STORE + "autosave") || "null"); } catch (e) { saved = null; }
  if (saved && saved.state && saved.served === S.served) {  // the work left here last time, on the same served file
    S.project = saved.project; S.dirty = saved.dirty; S.last = saved.state;
    if (S.project) $("project-name").value = S.project;
    restore(saved.state);
    $("status").textContent = "restored the work autosaved in this browser";
    return;
  }
  load(structuredClone(info.initial), true);
}
start().catch((e) => { $("status").textContent = errorText(e); });
