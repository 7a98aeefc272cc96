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
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    if (status === 403 && xhr.getResponseHeader("X-Sinergi-Refused") === "expired") {
      sayRequestFailed("expired");  // a form older than the session: not a refusal
    } else {
      sayRequestFailed(status === 403 || status === 404 ? "refused" : "failed");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    sayRequestFailed("offline");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("request-error");
    if (region) region.hidden = true;
  });
  // A command block (the ledger's verification page: pre[data-copy]) gets a button that
  // copies its text as shown, \ continuations and all, and a status beside it that says
  // so (role=status: announced). The words are the page's own, translated: the
  // data-copy-label, data-copied and data-copy-failed of the block's list. Where the
  // clipboard cannot be written (a page not served over https), the block's text is
  // selected and copied as the browser's own Copy would; failing that, left selected.
  function selectContents(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  function copyBlock(pre, words, status) {
    var text = pre.textContent;
    function copied() {
      status.textContent = words.dataset.copied || "";
    }
    function byTheBrowser() {
      selectContents(pre);
      var done = false;
      try {
        done = document.execCommand("copy");
      } catch (error) {
        done = false;
      }
      if (done) copied();
      else status.textContent = words.dataset.copyFailed || "";
    }
    status.textContent = "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(copied, byTheBrowser);
    } else {
      byTheBrowser();
    }
    window.clearTimeout(status.timer);
    status.timer = window.setTimeout(function () {
      status.textContent = "";
    }, 5000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("pre[data-copy]").forEach(function (pre) {
      var words = pre.closest("[data-copy-label]");
      if (!words) return;
      var row = document.createElement("div");
      row.className = "copy-row";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy secondary";
      button.textContent = words.dataset.copyLabel;
      // "Copy", described by the sentence that introduces the block.
      var lead = pre.previousElementSibling;
      if (lead && lead.id) button.setAttribute("aria-describedby", lead.id);
      var status = document.createElement("span");
      status.className = "copy-status";
      status.setAttribute("role", "status");
      row.appendChild(button);
      row.appendChild(status);
      pre.insertAdjacentElement("afterend", row);
      button.addEventListener("click", function () {
        copyBlock(pre, words, status);
      });
    });
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      delete form.dataset.sending;
      form.removeAttribute("aria-busy");
    });
  });
})();
