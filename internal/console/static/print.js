// The print buttons of the report pages: the console's CSP allows no
// inline script, so the button is wired here.
(function () {
  "use strict";
  document.querySelectorAll("button.print, a.print").forEach(function (el) {
    el.addEventListener("click", function (e) { e.preventDefault(); window.print(); });
  });
})();
