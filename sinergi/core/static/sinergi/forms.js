// A form that posts is sent once: a second click (or Enter) while the page is on its way
// would record the same transaction, pledge or budget line twice, and the ledger keeps
// both. HTMX forms are left to HTMX, which sends nothing while a request is in flight.
// The guard lifts after 15 s (a request that never came back) and when the browser
// shows the page again from its history.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    if (form.hasAttribute("hx-post") || event.defaultPrevented) return;
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    form.setAttribute("aria-busy", "true");
    window.setTimeout(function () {
      delete form.dataset.sending;
      form.removeAttribute("aria-busy");
    }, 15000);
  });
  // A message left by the previous page ("The pledge is recorded.") is in the page when it
  // loads, so a screen reader does not announce it as a status: the keyboard goes to it,
  // as GOV.UK's notification banners do, unless the page put it somewhere on purpose.
  window.addEventListener("load", function () {
    var messages = document.querySelector("ul.messages");
    var chosen = document.querySelector("[autofocus]");
    if (messages && !chosen && document.activeElement === document.body) messages.focus();
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      delete form.dataset.sending;
      form.removeAttribute("aria-busy");
    });
  });
})();
