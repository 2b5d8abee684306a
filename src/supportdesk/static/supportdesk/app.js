/* Progressive enhancement only: every page works without this file (and without htmx). */
(function () {
  "use strict";

  function focusIn(root, selector) {
    var target = root && root.querySelector(selector);
    if (target) {
      target.focus();
    }
  }

  // A page that comes back with errors puts the keyboard on the error summary.
  document.addEventListener("DOMContentLoaded", function () {
    focusIn(document, ".error-summary[data-autofocus]");
  });

  // After htmx swaps a wizard step in, move focus to the new step (or its error summary),
  // as a full page load would have done for a screen reader.
  document.addEventListener("htmx:afterSettle", function () {
    focusIn(document.getElementById("wizard"), "[data-autofocus]");
  });

  // An error answer (e.g. 404 after losing access to the record) is shown as a normal page.
  document.addEventListener("htmx:responseError", function (event) {
    var info = event.detail.pathInfo || {};
    window.location.assign(info.finalRequestPath || info.requestPath || window.location.href);
  });
})();
