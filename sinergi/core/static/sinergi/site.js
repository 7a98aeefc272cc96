// What every page does in the browser, without which it still works.
//
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
  // A table wider than the screen scrolls sideways (app.css); to scroll it with the
  // keyboard it must take the focus (WCAG 2.1.1), so it does while it overflows.
  function scrollables() {
    document.querySelectorAll("main table, main .alignment-matrix").forEach(function (el) {
      var style = window.getComputedStyle(el).overflowX;
      var scrolls = (style === "auto" || style === "scroll") && el.scrollWidth > el.clientWidth + 1;
      if (scrolls) el.setAttribute("tabindex", "0");
      else if (el.getAttribute("tabindex") === "0") el.removeAttribute("tabindex");
    });
  }
  window.addEventListener("load", scrollables);
  window.addEventListener("resize", function () {
    window.clearTimeout(scrollables.timer);
    scrollables.timer = window.setTimeout(scrollables, 200);
  });
  document.addEventListener("htmx:afterSettle", scrollables);
  // A datalist with data-lookup fills itself from that address as its input is typed
  // in (the partner form's organisation), through HTMX.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("datalist[data-lookup]").forEach(function (list) {
      var input = document.querySelector('input[list="' + list.id + '"]');
      if (!input || !window.htmx) return;
      input.setAttribute("hx-get", list.dataset.lookup);
      input.setAttribute("hx-trigger", "input changed delay:200ms");
      input.setAttribute("hx-target", "#" + list.id);
      input.setAttribute("hx-swap", "innerHTML");
      window.htmx.process(input);
    });
  });
  // A row removed by HTMX (an empty answer replacing it) would take the keyboard's place
  // with it: the focus goes to the heading its data-focus-when-removed names.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var row = event.target.closest && event.target.closest("[data-focus-when-removed]");
    var detail = event.detail;
    if (!row || detail.xhr.status >= 300 || detail.serverResponse) return;
    var heading = document.getElementById(row.dataset.focusWhenRemoved);
    if (heading) heading.focus();
  });
  // A request made in place (HTMX) that fails is said so: HTMX swaps nothing on an
  // error answer, so a refused change looked saved. The words are the page's own
  // (#request-error's data attributes, translated); the region is announced (role=alert).
  function sayRequestFailed(kind) {
    var region = document.getElementById("request-error");
    if (!region) return;
    region.textContent = region.dataset[kind] || "";
    region.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    sayRequestFailed(status === 403 || status === 404 ? "refused" : "failed");
  });
  document.addEventListener("htmx:sendError", function () {
    sayRequestFailed("offline");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("request-error");
    if (region) region.hidden = true;
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      delete form.dataset.sending;
      form.removeAttribute("aria-busy");
    });
  });
})();
