(function () {
  "use strict";
  var form = document.getElementById("screen-form");
  var box = document.getElementById("live");
  var out = document.getElementById("live-level");
  if (!form || !box || !out || !window.fetch || !window.JSON) { return; }
  var seq = 0;
  var timer = null;
  function answers() {
    var a = {};
    var parts = form.querySelectorAll("[data-field]");
    for (var i = 0; i < parts.length; i++) {
      var el = parts[i];
      var id = el.getAttribute("data-field");
      var type = el.getAttribute("data-type");
      if (type === "boolean") {
        var c = el.querySelector("input:checked");
        if (c && c.value) { a[id] = c.value === "yes"; }
      } else if (type === "set") {
        var boxes = el.querySelectorAll("input:checked");
        if (boxes.length) {
          var list = [];
          for (var j = 0; j < boxes.length; j++) {
            if (boxes[j].value !== "__none__") { list.push(boxes[j].value); }
          }
          a[id] = list;
        }
      } else {
        var input = el.querySelector("input, select");
        if (input && input.value !== "") {
          if (type === "integer" || type === "number") {
            var n = Number(input.value);
            if (isFinite(n)) { a[id] = n; }
          } else {
            a[id] = input.value;
          }
        }
      }
    }
    return a;
  }
  function show(level) {
    box.setAttribute("data-level", level || "");
    out.textContent = level ? (box.getAttribute("data-" + level) || level) : "\u2014";
  }
  function update() {
    var mine = ++seq;
    fetch(form.getAttribute("data-api"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ answers: answers() })
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (mine === seq) { show(result ? result.level : null); } })
      .catch(function () { if (mine === seq) { show(null); } });
  }
  function later() { clearTimeout(timer); timer = setTimeout(update, 200); }
  box.hidden = false;
  form.addEventListener("change", later);
  form.addEventListener("input", later);
  update();
})();
