// fax.js: the send form checks the fax number as the clerk types it,
// against the fax desk's own dialing-plan rule (GET /api/fax/number); the
// form works without it (the server checks the number again on submit).
// The answer is only ever set as text.
(function () {
  "use strict";
  var input = document.getElementById("to");
  var out = document.getElementById("to-check");
  if (!input || !out || !window.fetch) { return; }
  var timer = null;
  var asked = 0;
  function show(ok, message) {
    out.textContent = message;
    out.className = ok ? "check ok" : "check bad";
    input.setAttribute("aria-invalid", ok ? "false" : "true");
  }
  function check() {
    var value = input.value.trim();
    if (!value) { out.textContent = ""; input.removeAttribute("aria-invalid"); return; }
    var mine = ++asked;
    fetch(input.dataset.check + "?to=" + encodeURIComponent(value), { credentials: "same-origin" }).then(function (r) {
      return r.json();
    }).then(function (d) {
      if (mine !== asked) { return; } // a later keystroke asked again
      if (d.ok) {
        show(true, out.dataset.ok + " " + d.number + " · " + d.kind + " · " + d.destination);
      } else {
        show(false, d.problem || "");
      }
    }).catch(function () {});
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  if (input.value) { check(); }
})();
