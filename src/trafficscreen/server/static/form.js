(function () {
  "use strict";
  // The page works without this script: each step is an ordinary form POST. The script keeps the focus on
  // the first new question and the level bar current as answers change (posting them to api/screen;
  // nothing is stored). It never submits by itself: arrow keys change a radio choice, and a page that
  // moved on under them would lose the nurse's place.
  var first = document.querySelector("[autofocus]");
  if (first && (!document.activeElement || document.activeElement === document.body)) { first.focus(); }
  var form = document.getElementById("screen-form");
  var box = document.getElementById("live");
  var out = document.getElementById("live-level");
  var note = document.getElementById("live-note");
  if (!form || !box || !out || !note || !window.fetch || !window.JSON) { return; }
  var seq = 0;
  var timer = null;
  function answers() {
    var a = {};
    var cannot = {};
    var els = form.elements;
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var type = el.getAttribute("data-type");
      var id = el.name;
      if (!type || !id) { continue; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { continue; }
      var v = el.value;
      if (v === "__cannot__") { cannot[id] = true; continue; }
      if (v === "") { continue; }
      if (type === "boolean") {
        a[id] = v === "yes";
      } else if (type === "set") {
        if (!a[id]) { a[id] = []; }
        if (v !== "__none__") { a[id].push(v); }
      } else if (type === "integer" || type === "number") {
        var n = Number(v);
        if (isFinite(n)) { a[id] = n; }
      } else {
        a[id] = v;
      }
    }
    for (var k in cannot) {
      if (Object.prototype.hasOwnProperty.call(cannot, k)) { delete a[k]; }
    }
    return a;
  }
  function name(level) { return box.getAttribute("data-" + level) || level; }
  function show(result) {
    if (!result) {
      box.setAttribute("data-level", "");
      out.textContent = "\u2014";
      note.textContent = "";
      return;
    }
    box.setAttribute("data-level", result.level);
    out.textContent = name(result.level);
    note.textContent = result.settled ? box.getAttribute("data-settled")
      : (box.getAttribute("data-rise") || "").replace("{level}", name(result.highest_possible));
  }
  function update() {
    var mine = ++seq;
    fetch(form.getAttribute("data-api"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ answers: answers() })
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (mine === seq) { show(result); } })
      .catch(function () { if (mine === seq) { show(null); } });
  }
  function later(event) {
    var t = event.target;
    if (!t || !t.getAttribute || !t.getAttribute("data-type")) { return; }
    clearTimeout(timer);
    timer = setTimeout(update, 200);
  }
  form.addEventListener("change", later);
  form.addEventListener("input", later);
})();
