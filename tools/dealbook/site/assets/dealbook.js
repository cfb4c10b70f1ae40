/* dealbook tables: click a header to sort, type in the box to filter. No dependencies, no network. */
(function () {
  "use strict";

  function cellValue(row, index, type) {
    var cell = row.cells[index];
    if (!cell) return "";
    var raw = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent.trim();
    if (type === "num") {
      var n = parseFloat(String(raw).replace(/[^0-9.\-]/g, ""));
      return isNaN(n) ? -Infinity : n;
    }
    return raw === "—" ? "" : raw;
  }

  function sortTable(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var type = th.getAttribute("data-type") || "text";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (row, i) { return [cellValue(row, index, type), i, row]; });
    keyed.sort(function (a, b) {
      var x = a[0], y = b[0], c;
      if (type === "num") { c = x - y; } else { c = String(x).localeCompare(String(y), undefined, { numeric: true }); }
      if (c === 0) c = a[1] - b[1];
      return ascending ? c : -c;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (k) { fragment.appendChild(k[2]); });
    body.appendChild(fragment);
  }

  function filterTable(table, text, counter) {
    var words = text.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var content = row.textContent.toLowerCase();
      var match = words.every(function (w) { return content.indexOf(w) !== -1; });
      row.hidden = !match;
      if (match) shown += 1;
    });
    if (counter) counter.textContent = shown + " / " + table.tBodies[0].rows.length;
  }

  function setup() {
    Array.prototype.forEach.call(document.querySelectorAll("a.db-print"), function (link) {
      if (link.getAttribute("data-ready")) return;
      link.setAttribute("data-ready", "1");
      link.addEventListener("click", function (e) { e.preventDefault(); window.print(); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("table.db-sortable"), function (table) {
      if (table.getAttribute("data-ready")) return;
      table.setAttribute("data-ready", "1");
      Array.prototype.forEach.call(table.tHead ? table.tHead.rows[0].cells : [], function (th) {
        th.setAttribute("tabindex", "0");
        th.addEventListener("click", function () { sortTable(table, th); });
        th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortTable(table, th); });
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("input.db-filter"), function (input) {
      var table = document.getElementById(input.getAttribute("data-table"));
      if (!table || input.getAttribute("data-ready")) return;
      input.setAttribute("data-ready", "1");
      var counter = document.querySelector('.db-count[data-table="' + input.getAttribute("data-table") + '"]');
      input.addEventListener("input", function () { filterTable(table, input.value, counter); });
    });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(setup);  /* Material's instant navigation */
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
