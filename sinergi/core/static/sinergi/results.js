/* Results charts: each <canvas data-chart="ID"> is drawn from the JSON in <script id="ID">
   ({type, labels, datasets}). A table next to each chart carries the same figures. */
(function () {
  "use strict";
  var colours = ["#1f6f8b", "#a15f00", "#5a8f29", "#9b2d5a", "#555555"];
  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (d, i) {
      var colour = colours[i % colours.length];
      var line = spec.type === "line";
      return {
        label: d.label,
        data: d.data,
        borderColor: colour,
        backgroundColor: line ? "transparent" : colour,
        borderDash: line && i === 1 ? [6, 4] : [],
        spanGaps: true,
        fill: false
      };
    });
    var horizontal = spec.type === "horizontalBar";
    var scale = [{ ticks: { beginAtZero: true } }];
    new Chart(canvas.getContext("2d"), {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        legend: { display: datasets.length > 1 },
        scales: horizontal ? { xAxes: scale } : { yAxes: scale }
      }
    });
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
