// memlab's player, drawn in the browser. One module serves two hosts:
//  * the live widget: anywidget imports it and calls render({model, el});
//  * the static page (a player's text/html fallback, the exported gallery): page.py inlines this
//    text in a module script and calls mountAll(document), which finds each player's frames in
//    the JSON script element (class memlab-data) beside its plain final frame.
// Python drew every frame; frames arrive once (frames.py: shared pieces + edits between frames).
// Stepping, scrubbing, playing, motion between frames and predict-mode questions happen here,
// with no kernel and no network.

const MOTION_MS = 400; // a transition lasts 300 to 500 ms
const CSS_ID = "memlab-player-css";
const STYLE = `
.memlab-player{font-family:"DejaVu Sans",Arial,sans-serif;color:#1A1A1A;margin:4px 0;outline:none}
.memlab-player .memlab-title{font-weight:bold;margin:2px 0}
.memlab-player .memlab-controls{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin:2px 0 4px}
.memlab-player button{font:inherit;font-size:1em;padding:2px 10px;border:1px solid #777;border-radius:3px;
  background:#F4F4F4;color:#1A1A1A;cursor:pointer}
.memlab-player button:hover{background:#E4E4E4}
.memlab-player button:disabled{opacity:.45;cursor:default}
.memlab-player input.memlab-slider{flex:0 1 320px;min-width:120px}
.memlab-player .memlab-readout{font-size:.9em;color:#555;min-width:5em}
.memlab-player .memlab-score{font-size:.9em;font-weight:bold}
.memlab-player .memlab-caption{min-height:1.4em}
.memlab-player .memlab-ask{border:2px solid #0072B2;border-radius:4px;padding:6px 10px;margin:4px 0;background:#F3F8FC}
.memlab-player .memlab-ask[hidden]{display:none}
.memlab-player .memlab-question{font-weight:bold;margin-bottom:4px}
.memlab-player .memlab-choices{display:flex;gap:6px;flex-wrap:wrap;margin:4px 0}
.memlab-player .memlab-choice[aria-pressed=true]{background:#0072B2;color:#FFF;border-style:dashed}
.memlab-player .memlab-picked-list{font-size:.9em;margin:2px 0}
.memlab-player .memlab-feedback{margin-top:4px}
.memlab-player .memlab-right{border-left:6px solid #009E73;padding-left:6px}
.memlab-player .memlab-wrong{border-left:6px dashed #D55E00;padding-left:6px}
.memlab-player .memlab-clickable{cursor:pointer}
.memlab-player .memlab-clickable:hover,.memlab-player .memlab-clickable:focus{filter:drop-shadow(0 0 2px #000);outline:none}
`;

// ---- frames: shared pieces and the edits between frames (see frames.py) ----------------------

function applyEdits(before, ops) {
  const out = [];
  let p = 0;
  let i = 0;
  while (i < ops.length) {
    const keep = ops[i];
    const drop = ops[i + 1];
    const n = ops[i + 2];
    for (let q = 0; q < keep; q++) out.push(before[p + q]);
    p += keep + drop;
    for (let q = 0; q < n; q++) out.push(ops[i + 3 + q]);
    i += 3 + n;
  }
  for (; p < before.length; p++) out.push(before[p]);
  return out;
}

function frameStore(encoded) {
  const { table, first, edits } = encoded;
  const built = new Map([[0, first]]); // every 32nd frame, to jump anywhere quickly
  let lastIndex = 0;
  let lastIds = first;
  function ids(k) {
    if (k === lastIndex) return lastIds;
    let from = 0;
    let cur = first;
    for (const [j, v] of built) if (j <= k && j > from) [from, cur] = [j, v];
    if (lastIndex <= k && lastIndex > from) [from, cur] = [lastIndex, lastIds];
    for (let j = from + 1; j <= k; j++) {
      cur = applyEdits(cur, edits[j - 1]);
      if (j % 32 === 0) built.set(j, cur);
    }
    lastIndex = k;
    lastIds = cur;
    return cur;
  }
  return { count: edits.length + 1, html: (k) => ids(k).map((i) => table[i]).join("") };
}

// ---- motion: keyed shapes glide, split, merge, fade ---------------------------------------------

function reducedMotion() {
  return typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
}

function spanOf(el) {
  const s = el.getAttribute("data-span");
  if (!s) return null;
  const [a, b] = s.split(" ").map(Number);
  return [a, b];
}

function keyed(view) {
  // the keyed shapes of the picture, by "svg index|key" (two SVGs of one frame may reuse keys)
  const svgs = [...view.querySelectorAll("svg")];
  const shapes = new Map();
  for (const el of view.querySelectorAll("svg [data-key]")) {
    let box = null;
    try {
      box = el.getBBox();
    } catch (e) {
      continue; // not rendered (a hidden player): nothing to move from
    }
    const svg = svgs.indexOf(el.ownerSVGElement);
    shapes.set(`${svg}|${el.getAttribute("data-key")}`, {
      el,
      box: { x: box.x, y: box.y, width: box.width, height: box.height },
      svg,
      span: spanOf(el),
    });
  }
  return { svgs, shapes };
}

function container(shapes, of) {
  // the smallest shape of the same SVG whose address range holds the start of shape `of`, but is not its own
  if (!of.span) return null;
  let best = null;
  for (const s of shapes.values()) {
    if (s.svg !== of.svg || !s.span || (s.span[0] === of.span[0] && s.span[1] === of.span[1])) continue;
    if (s.span[0] <= of.span[0] && of.span[0] < s.span[1]) {
      if (!best || s.span[1] - s.span[0] < best.span[1] - best.span[0]) best = s;
    }
  }
  return best;
}

function sameBox(a, b) {
  return Math.abs(a.x - b.x) < 0.5 && Math.abs(a.y - b.y) < 0.5 && Math.abs(a.width - b.width) < 0.5 &&
    Math.abs(a.height - b.height) < 0.5;
}

function transformFrom(from, to) {
  // the transform that draws a shape laid out in box `to` over box `from`
  const sx = to.width > 0 ? from.width / to.width : 1;
  const sy = to.height > 0 ? from.height / to.height : 1;
  return `translate(${from.x - sx * to.x}px, ${from.y - sy * to.y}px) scale(${sx}, ${sy})`;
}

const IDENTITY = "translate(0px, 0px) scale(1, 1)";
const ORIGIN = { transformOrigin: "0px 0px", transformBox: "view-box" }; // in the SVG's own units

function glide(el, from, to, ms) {
  // nothing is left on the element when the animation ends: the frame's own markup stays as drawn
  return el.animate([{ transform: transformFrom(from, to), ...ORIGIN }, { transform: IDENTITY, ...ORIGIN }], {
    duration: ms,
    easing: "ease-in-out",
  });
}

function move(before, view, ms) {
  // Animate from the keyed shapes of the frame before to those of the frame now in `view`.
  const after = keyed(view);
  const running = [];
  for (const [id, now] of after.shapes) {
    const was = before.shapes.get(id);
    if (was) {
      if (!sameBox(was.box, now.box)) running.push(glide(now.el, was.box, now.box, ms));
      continue;
    }
    const parent = container(before.shapes, now);
    if (parent) {
      running.push(glide(now.el, parent.box, now.box, ms)); // a split: it divides out of its parent
    } else {
      running.push(now.el.animate([{ opacity: 0 }, { opacity: 1 }], { duration: ms, easing: "ease-in" }));
    }
  }
  for (const [id, was] of before.shapes) {
    if (after.shapes.has(id)) continue;
    const svg = after.svgs[was.svg];
    if (!svg) continue;
    const ghost = was.el; // the old node itself, laid over the new picture while it leaves
    ghost.style.pointerEvents = "none";
    ghost.removeAttribute("data-key");
    ghost.setAttribute("class", `${ghost.getAttribute("class") || ""} memlab-ghost`.trim());
    svg.appendChild(ghost);
    const into = container(after.shapes, was);
    const anim = into
      ? ghost.animate( // a merge: it stretches into the block it became part of, and fades there
        [
          { transform: IDENTITY, opacity: 1, ...ORIGIN },
          { transform: transformFrom(into.box, was.box), opacity: 0, ...ORIGIN },
        ],
        { duration: ms, easing: "ease-in-out" },
      )
      : ghost.animate([{ opacity: 1 }, { opacity: 0 }], { duration: ms, easing: "ease-out" }); // freed: fades out
    anim.onfinish = () => ghost.remove();
    anim.oncancel = () => ghost.remove();
    running.push(anim);
  }
  return running;
}

// ---- the player ---------------------------------------------------------------------------------

function element(tag, attrs = {}, text = "") {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text) el.textContent = text;
  return el;
}

function addStyle(doc) {
  if (doc.getElementById(CSS_ID)) return;
  const style = doc.createElement("style");
  style.id = CSS_ID;
  style.textContent = STYLE;
  (doc.head || doc.documentElement).appendChild(style);
}

function labelOf(el, key) {
  const name = el && el.getAttribute("data-name");
  if (name) return name;
  const title = el && el.querySelector("title");
  return title ? title.textContent.split(";")[0] : key;
}

function mount(el, model) {
  addStyle(el.ownerDocument || document);
  const data = model.get("data");
  const store = frameStore(data.frames);
  const last = store.count - 1;
  const asks = new Map((data.asks || []).map((q) => [q.step, { ...q, result: null }]));
  const scale = data.scale || 1;

  el.textContent = "";
  const root = element("div", { class: "memlab-player", tabindex: "0" });
  root.style.fontSize = `${13 * scale}px`;
  root.setAttribute("aria-label", `animation: ${data.title || "memlab player"}`);
  if (data.title) {
    const title = element("div", { class: "memlab-title" }, data.title);
    title.style.fontSize = `${14 * scale}px`;
    root.appendChild(title);
  }
  const controls = element("div", { class: "memlab-controls" });
  const play = element("button", { class: "memlab-play", title: "play / pause (space)" }, "▶ play");
  const back = element("button", { class: "memlab-back", title: "step back (←)" }, "◀ back");
  const forward = element("button", { class: "memlab-forward", title: "step forward (→)" }, "forward ▶");
  const slider = element("input", {
    class: "memlab-slider", type: "range", min: "0", max: String(last), step: "1", "aria-label": "step",
  });
  const readout = element("span", { class: "memlab-readout" });
  const score = element("span", { class: "memlab-score", "aria-live": "polite" });
  controls.append(play, back, forward, slider, readout, score);
  const ask = element("div", { class: "memlab-ask", role: "group", hidden: "" });
  const caption = element("div", { class: "memlab-caption", "aria-live": "polite" });
  caption.style.fontSize = `${13 * scale}px`;
  const view = element("div", { class: "memlab-view" });
  root.append(controls, ask, caption, view);
  el.appendChild(root);

  let position = -1;
  let playing = false;
  let timer = 0;
  let lastTick = 0;
  let running = [];
  let open = null; // the question being asked

  function stopMotion() {
    for (const a of running) a.cancel();
    running = [];
  }

  function sync() {
    try {
      model.set("position", position);
      if (!playing) model.save_changes();
    } catch (e) {
      // no kernel (an exported page, or the kernel was shut down): the player does not need one
    }
  }

  function show(k, motion, fromPython = false) {
    stopMotion();
    const ms = !motion || reducedMotion() ? 0 : playing ? Math.min(MOTION_MS, data.interval * 0.8) : MOTION_MS;
    const before = ms >= 120 ? keyed(view) : null; // too fast to follow (a quick play): no motion
    position = k;
    view.innerHTML = store.html(k); // the picture first: once the words say step k, it shows k
    caption.textContent = data.captions[k];
    slider.value = String(k);
    readout.textContent = `${k} / ${last}`;
    back.disabled = k === 0;
    forward.disabled = k === last && !open;
    if (before) running = move(before, view, ms);
    if (!fromPython) sync();
  }

  // -- predict mode ----------------------------------------------------------------------------
  function scoreText() {
    const done = [...asks.values()].filter((q) => q.result === "right" || q.result === "wrong");
    if (!done.length) return "";
    const right = done.filter((q) => q.result === "right").length;
    return `predictions: ${right} of ${done.length} right`;
  }

  function pending(from, to) {
    for (let s = from + 1; s <= to; s++) {
      const q = asks.get(s);
      if (q && q.result === null) return q;
    }
    return null;
  }

  function clickable(q) {
    const kinds = new Set(q.answers.map((a) => a.split(":")[0]));
    const among = new Set(q.among || []);
    return [...view.querySelectorAll("svg [data-key]")].filter((s) => {
      const key = s.getAttribute("data-key");
      return among.size ? among.has(key) : kinds.has(key.split(":")[0]) && !key.includes("#");
    });
  }

  function shapeOf(key) {
    return view.querySelector(`svg [data-key="${CSS.escape(key)}"]`);
  }

  function outline(shape, dashed, words) {
    const svg = shape.ownerSVGElement;
    const b = shape.getBBox();
    const ns = "http://www.w3.org/2000/svg";
    const r = document.createElementNS(ns, "rect");
    for (const [k, v] of Object.entries({
      x: b.x - 3, y: b.y - 3, width: b.width + 6, height: b.height + 6, fill: "none", stroke: "#000",
      "stroke-width": dashed ? 2 : 3.5, "stroke-dasharray": dashed ? "5 3" : "", class: "memlab-mark",
    })) r.setAttribute(k, v);
    svg.appendChild(r);
    if (words) {
      const t = document.createElementNS(ns, "text");
      for (const [k, v] of Object.entries({
        x: b.x, y: Math.max(10, b.y - 6), "font-size": 11, "font-weight": "bold", fill: "#000", stroke: "#FFF",
        "stroke-width": 3, "paint-order": "stroke", class: "memlab-mark",
      })) t.setAttribute(k, v);
      t.textContent = words;
      const others = [...svg.querySelectorAll("text.memlab-mark")].map((o) => o.getBBox());
      svg.appendChild(t);
      // Adjacent shapes (a pool's cells, a page's blocks) would stack their labels on one another:
      // move a label below its shape, then a line further out at a time, above or below, until it
      // is clear of the labels already there.
      const overlaps = (c) => others.some((o) => c.x < o.x + o.width && o.x < c.x + c.width
        && c.y < o.y + o.height && o.y < c.y + c.height);
      const above = (k) => b.y - 6 - 13 * k;
      const below = (k) => b.y + b.height + 15 + 13 * k;
      const tries = [below(0), above(1), below(1), above(2), below(2)].filter((y) => y >= 10);
      for (const y of tries) {
        if (!overlaps(t.getBBox())) break;
        t.setAttribute("y", y);
      }
    }
  }

  function answerWords(q) {
    if (!q.answers.length) return "none of them";
    if (q.kind === "choose") return q.answers.join(", ");
    return q.answers.map((a) => labelOf(shapeOf(a), a)).join(", ");
  }

  function judge(q, picked) {
    const right = picked.length === q.answers.length && q.answers.every((a) => picked.includes(a));
    q.result = right ? "right" : "wrong";
    const feedback = ask.querySelector(".memlab-feedback");
    feedback.className = `memlab-feedback ${right ? "memlab-right" : "memlab-wrong"}`;
    feedback.textContent = right
      ? `✓ Right. ${q.why}`
      : `✗ Not quite: the answer is ${answerWords(q)}. ${q.why}`;
    for (const b of ask.querySelectorAll(".memlab-choice, .memlab-check")) b.disabled = true;
    for (const s of clickable(q)) {
      s.classList.remove("memlab-clickable");
      s.removeAttribute("tabindex");
      s.onclick = s.onkeydown = null;
    }
    if (q.kind === "click") {
      for (const m of view.querySelectorAll(".memlab-mark")) m.remove();
      for (const a of q.answers) if (shapeOf(a)) outline(shapeOf(a), false, "answer");
      for (const a of picked) if (!q.answers.includes(a) && shapeOf(a)) outline(shapeOf(a), true, "your pick");
    }
    ask.querySelector(".memlab-reveal").textContent = "continue ▶";
    score.textContent = scoreText();
    forward.disabled = false;
    sync();
  }

  function openQuestion(q) {
    open = q;
    pause();
    if (position !== q.step - 1) show(q.step - 1, Math.abs(q.step - 1 - position) === 1);
    ask.hidden = false;
    ask.textContent = "";
    ask.append(element("div", { class: "memlab-question" }, `Predict: ${q.question}`));
    const picked = [];
    const list = element("div", { class: "memlab-picked-list" });
    const check = element("button", { class: "memlab-check" }, "check");
    check.onclick = () => judge(q, picked);
    function pick(answer, button, shape) {
      if (q.result !== null) return;
      if (!q.several) return judge(q, [answer]);
      const at = picked.indexOf(answer);
      if (at >= 0) picked.splice(at, 1);
      else picked.push(answer);
      if (button) button.setAttribute("aria-pressed", String(at < 0));
      if (shape) {
        for (const m of view.querySelectorAll(".memlab-mark")) m.remove();
        for (const a of picked) outline(shapeOf(a), true, "picked");
        list.textContent = `picked: ${picked.map((a) => labelOf(shapeOf(a), a)).join(", ") || "nothing yet"}`;
      }
    }
    if (q.kind === "choose") {
      const choices = element("div", { class: "memlab-choices" });
      for (const c of q.choices) {
        const b = element("button", { class: "memlab-choice", "aria-pressed": "false" }, c);
        b.onclick = () => pick(c, b, null);
        choices.appendChild(b);
      }
      ask.appendChild(choices);
    } else {
      ask.append(element("div", {}, q.several
        ? "Click every shape in the picture that answers it, then press check."
        : "Click the shape in the picture that answers it."));
      for (const s of clickable(q)) {
        const key = s.getAttribute("data-key");
        s.classList.add("memlab-clickable");
        s.setAttribute("tabindex", "0");
        s.setAttribute("role", "button");
        s.onclick = () => pick(key, null, s);
        s.onkeydown = (e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            pick(key, null, s);
          }
        };
      }
      if (q.several) ask.appendChild(list);
    }
    const row = element("div", { class: "memlab-choices" });
    if (q.several) row.appendChild(check);
    const reveal = element("button", { class: "memlab-reveal", title: "show the next step" }, "show me ▶");
    reveal.onclick = () => proceed();
    row.appendChild(reveal);
    ask.append(row, element("div", { class: "memlab-feedback", "aria-live": "polite" }));
    forward.disabled = false;
  }

  function closeQuestion(skip) {
    // "show me" skips a question for good; stepping back leaves it to be asked again
    if (open && open.result === null && skip) open.result = "skipped";
    open = null;
    ask.hidden = true;
    ask.textContent = "";
  }

  function proceed() {
    const q = open;
    closeQuestion(true);
    if (q) show(q.step, true);
  }

  // -- moving ----------------------------------------------------------------------------------
  function go(k, motion = true) {
    k = Math.max(0, Math.min(last, k));
    if (open) {
      if (k >= open.step) return proceed();
      closeQuestion(false);
    }
    const q = k > position ? pending(position, k) : null;
    if (q) return openQuestion(q);
    if (k !== position) show(k, motion && Math.abs(k - position) === 1);
  }

  function tick(now) {
    if (!playing) return;
    if (now - lastTick >= data.interval) {
      lastTick = now;
      if (position >= last) return pause();
      go(position + 1);
      if (open) return;
    }
    timer = requestAnimationFrame(tick);
  }

  function start() {
    playing = true;
    play.textContent = "❚❚ pause";
    lastTick = performance.now();
    if (position >= last) show(0, false); // from the start again
    else go(position + 1); // the first step at once, the next ones every interval
    if (open) return;
    timer = requestAnimationFrame(tick);
  }

  function pause() {
    if (!playing) return;
    playing = false;
    cancelAnimationFrame(timer);
    play.textContent = "▶ play";
    sync();
  }

  play.onclick = () => (playing ? pause() : start());
  back.onclick = () => {
    pause();
    go(position - 1);
  };
  forward.onclick = () => {
    pause();
    go(position + 1);
  };
  slider.oninput = () => {
    pause();
    go(Number(slider.value), false);
    slider.value = String(position);
  };
  root.onkeydown = (e) => {
    if (e.target !== root) return;
    const keys = { ArrowRight: () => forward.onclick(), ArrowLeft: () => back.onclick(), Home: () => go(0, false),
      End: () => go(last, false), " ": () => play.onclick() };
    if (keys[e.key]) {
      e.preventDefault();
      keys[e.key]();
    }
  };
  const fromPython = () => {
    const k = model.get("position");
    if (k !== position && !open) show(Math.max(0, Math.min(last, k)), Math.abs(k - position) === 1, true);
  };
  model.on("change:position", fromPython);
  show(Math.max(0, Math.min(last, model.get("position") || 0)), false);
  score.textContent = scoreText();
  root.memlab = { go, play: start, pause, get position() { return position; }, count: store.count, asks };
  return () => {
    pause();
    stopMotion();
    model.off("change:position", fromPython);
  };
}

// ---- the two hosts ------------------------------------------------------------------------------

function render({ model, el }) {
  let cleanup = null;
  const draw = () => {
    if (cleanup) cleanup();
    const data = model.get("data");
    if (!data || !data.frames) {
      el.textContent = "drawing the frames…";
      cleanup = null;
      return;
    }
    cleanup = mount(el, model);
  };
  model.on("change:data", draw);
  draw();
  return () => {
    model.off("change:data", draw);
    if (cleanup) cleanup();
  };
}

function staticModel(data) {
  const state = { data, position: data.position || 0 };
  return { get: (k) => state[k], set: (k, v) => (state[k] = v), save_changes() {}, on() {}, off() {} };
}

function mountAll(doc) {
  for (const host of doc.querySelectorAll("[data-memlab-player]:not([data-memlab-mounted])")) {
    const source = host.querySelector("script.memlab-data");
    if (!source) continue;
    host.setAttribute("data-memlab-mounted", "");
    host.className = "memlab-host"; // the player drawn inside is the .memlab-player now
    const model = staticModel(JSON.parse(source.textContent));
    const place = document.createElement("div");
    host.replaceChildren(place);
    mount(place, model);
  }
}

export default { render };
export { mount, mountAll };
