/* Results charts: each <canvas data-chart="ID"> is drawn from the JSON in <script id="ID">
   ({type, labels, datasets}). A table next to each chart carries the same figures. */
(function () {
  "use strict";
  var colours = ["#1f6f8b", "#a15f00", "#5a8f29", "#9b2d5a", "#555555"];
  // Axis ticks and tooltips as the page's language writes numbers: 25.000 in Indonesian.
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    maximumFractionDigits: 4
  });
  function number(value) {
    return typeof value === "number" ? numbers.format(value) : value;
  }
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
    var scale = [{ ticks: { beginAtZero: true, callback: number } }];
    new Chart(canvas.getContext("2d"), {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        legend: { display: datasets.length > 1 },
        tooltips: {
          callbacks: {
            label: function (item, data) {
              var name = data.datasets[item.datasetIndex].label;
              var value = horizontal ? item.xLabel : item.yLabel;
              return (name ? name + ": " : "") + number(value);
            }
          }
        },
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
