/* RACI matrix: move between cells with the arrow keys and type R, A, C or I.
 *
 * The table (data-raci-grid) becomes one tab stop: the active cell has tabindex 0,
 * the others -1. Typing a letter sets the cell's <select> and fires "change", which
 * HTMX posts; the server answers with the row, and this script puts the focus back on
 * the same cell (found by data-wp and data-org). Without this script every cell is a
 * plain form with its own Save button.
 */
(function () {
  "use strict";

  var LETTERS = { r: "R", a: "A", c: "C", i: "I" };
  var active = null; // {wp, org} of the active cell

  function cellsOf(grid) {
    return Array.prototype.slice.call(grid.querySelectorAll("tbody tr")).map(function (tr) {
      return Array.prototype.slice.call(tr.querySelectorAll("td[data-org]"));
    });
  }

  function find(grid, wp, org) {
    var rows = cellsOf(grid);
    for (var r = 0; r < rows.length; r++) {
      for (var c = 0; c < rows[r].length; c++) {
        var cell = rows[r][c];
        if (cell.dataset.wp === wp && cell.dataset.org === org) return cell;
      }
    }
    return null;
  }

  function activate(grid, cell, focus) {
    grid.querySelectorAll("td[data-org]").forEach(function (td) { td.tabIndex = -1; });
    cell.tabIndex = 0;
    active = { wp: cell.dataset.wp, org: cell.dataset.org };
    if (focus) cell.focus();
  }

  function move(grid, cell, dRow, dCol, edge) {
    var rows = cellsOf(grid);
    for (var r = 0; r < rows.length; r++) {
      var c = rows[r].indexOf(cell);
      if (c === -1) continue;
      if (edge === "start") c = 0;
      else if (edge === "end") c = rows[r].length - 1;
      var nr = Math.max(0, Math.min(rows.length - 1, r + dRow));
      var row = rows[nr];
      var nc = Math.max(0, Math.min(row.length - 1, c + dCol));
      if (row[nc]) activate(grid, row[nc], true);
      return;
    }
  }

  function setLetter(cell, letter) {
    var select = cell.querySelector("select");
    if (!select || select.value === letter) return;
    select.value = letter;
    // A row swapped in moments ago is wired up by HTMX only when it settles (about 20 ms
    // later); a fast typist can get there first. process() is idempotent: wire it now.
    if (window.htmx) window.htmx.process(cell);
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function onKey(event) {
    var grid = event.currentTarget;
    var target = event.target;
    if (target.tagName === "SELECT") {
      if (event.key === "Escape") {
        event.preventDefault();
        target.closest("td").focus();
      }
      return;
    }
    if (!target.matches("td[data-org]") || event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;
    var moves = {
      ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0],
    };
    if (moves[key]) {
      move(grid, target, moves[key][0], moves[key][1]);
    } else if (key === "Home" || key === "End") {
      move(grid, target, 0, 0, key === "Home" ? "start" : "end");
    } else if (LETTERS[key.toLowerCase()]) {
      setLetter(target, LETTERS[key.toLowerCase()]);
    } else if (key === "Delete" || key === "Backspace") {
      setLetter(target, "");
    } else if (key === "Enter" || key === "F2") {
      var select = target.querySelector("select");
      if (select) select.focus();
    } else {
      return;
    }
    event.preventDefault();
  }

  function prepare(grid) {
    // Keyboard users reach the selects through their cell (Enter), not with Tab.
    grid.querySelectorAll("td[data-org] select").forEach(function (s) { s.tabIndex = -1; });
    var cell = active && find(grid, active.wp, active.org);
    if (!cell) cell = grid.querySelector("td[data-org]");
    if (cell) activate(grid, cell, false);
  }

  function init() {
    var grid = document.querySelector("[data-raci-grid]");
    if (!grid || grid.dataset.raciReady) return;
    grid.dataset.raciReady = "1";
    grid.setAttribute("role", "grid");
    grid.addEventListener("keydown", onKey);
    grid.addEventListener("focusin", function (event) {
      var cell = event.target.closest("td[data-org]");
      if (cell) active = { wp: cell.dataset.wp, org: cell.dataset.org };
    });
    prepare(grid);
    document.body.addEventListener("htmx:afterSettle", function () {
      var hadFocus = document.activeElement === document.body || grid.contains(document.activeElement);
      prepare(grid);
      var cell = active && find(grid, active.wp, active.org);
      if (cell && hadFocus && !grid.contains(document.activeElement)) cell.focus();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
