// The printable forms' "Print" button (a file, not an inline handler: the pages' CSP allows no inline script).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
