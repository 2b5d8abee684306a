/* Report charts: draws each chart table (.report-table[data-chart]) with the vendored Chart.js.
   The table is the source of the data and stays on the page below the chart, so the numbers
   stay readable by screen readers, keyboards, printers and pages without JavaScript.
   Table shape (reports/_chart.html): column headers = series, row headers = categories,
   cells = values ("—" for none); a cell's link = the list of exactly that segment's cases. */
(function () {
  "use strict";

  // Distinguishable in colour and in grey (print), darkest first.
  var PALETTE = ["#0b5cab", "#7cc4ff", "#e6b100", "#b3001b", "#1c7a3a", "#545b66", "#0d2b52"];

  function number(text) {
    var value = parseFloat(String(text).replace(/[^0-9.\-]/g, ""));
    return isNaN(value) ? null : value;
  }

  function readTable(table) {
    var heads = table.querySelectorAll("thead th");
    var series = [];
    for (var i = 1; i < heads.length; i++) {
      series.push({ label: heads[i].textContent.trim(), values: [], urls: [] });
    }
    var categories = [];
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var header = row.querySelector("th");
      categories.push(header ? header.textContent.trim() : "");
      row.querySelectorAll("td").forEach(function (cell, index) {
        if (!series[index]) {
          return;
        }
        var link = cell.querySelector("a[href]");
        series[index].values.push(number(cell.textContent));
        series[index].urls.push(link ? link.getAttribute("href") : "");
      });
    });
    var caption = table.querySelector("caption");
    var title = caption ? caption.textContent.trim() : heads.length ? heads[0].textContent.trim() : "";
    return { title: title, categories: categories, series: series };
  }

  function withUnit(value, unit) {
    if (value === null || value === undefined) {
      return "no value";
    }
    if (unit === "%") {
      return value + "%";
    }
    return unit ? value + " " + unit : String(value);
  }

  // What a sighted reader takes from the chart at a glance: each series' total and peak.
  function summary(kind, data, unit) {
    var words = { bar: "Bar chart", stacked: "Stacked bar chart", line: "Line chart" };
    var parts = data.series.map(function (s) {
      var total = 0;
      var peak = null;
      s.values.forEach(function (value, i) {
        if (value === null) {
          return;
        }
        total += value;
        if (peak === null || value > s.values[peak]) {
          peak = i;
        }
      });
      var text = s.label + ": total " + withUnit(Math.round(total * 100) / 100, unit);
      if (peak !== null && data.categories.length > 1) {
        text += ", highest " + withUnit(s.values[peak], unit) + " (" + data.categories[peak] + ")";
      }
      return text;
    });
    return (
      (words[kind] || "Chart") + ": " + data.title + ", " + data.categories.length +
      " categories. " + parts.join("; ") + ". The table below gives every value."
    );
  }

  function datasets(kind, data) {
    return data.series.map(function (s, i) {
      var colour = PALETTE[i % PALETTE.length];
      return {
        label: s.label,
        data: s.values,
        urls: s.urls,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: kind === "line" ? 2 : 0,
        pointRadius: kind === "line" ? 2 : undefined,
        pointHoverRadius: kind === "line" ? 5 : undefined,
        tension: 0.2,
        spanGaps: true,
      };
    });
  }

  function urlAt(chart, event) {
    var found = chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, true);
    if (!found.length) {
      return "";
    }
    var dataset = chart.data.datasets[found[0].datasetIndex];
    return (dataset.urls && dataset.urls[found[0].index]) || "";
  }

  function draw(wrap) {
    var table = wrap.querySelector("table");
    if (!table || wrap.hasAttribute("data-drawn") || !window.Chart) {
      return;
    }
    var kind = wrap.getAttribute("data-chart");
    var unit = wrap.getAttribute("data-unit") || "";
    var data = readTable(table);
    if (!data.categories.length || !data.series.length) {
      return;
    }
    wrap.setAttribute("data-drawn", "");
    var box = document.createElement("div");
    box.className = "report-canvas";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", summary(kind, data, unit));
    canvas.textContent = summary(kind, data, unit); // for browsers without canvas
    box.appendChild(canvas);
    wrap.parentNode.insertBefore(box, wrap);

    var stacked = kind === "stacked";
    var chart = new window.Chart(canvas, {
      type: kind === "line" ? "line" : "bar",
      data: { labels: data.categories, datasets: datasets(kind, data) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "nearest", intersect: true },
        plugins: {
          legend: { display: data.series.length > 1, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + withUnit(item.raw, unit);
              },
              footer: function (items) {
                var first = items[0];
                return first && first.dataset.urls[first.dataIndex] ? "Click to list these cases" : "";
              },
            },
          },
        },
        scales: {
          x: { stacked: stacked, ticks: { autoSkip: true, maxRotation: 0 } },
          y: {
            stacked: stacked,
            beginAtZero: true,
            ticks: { precision: 0 },
            title: { display: Boolean(unit), text: unit },
          },
        },
        onClick: function (event) {
          var url = urlAt(chart, event);
          if (url) {
            window.location.assign(url);
          }
        },
        onHover: function (event) {
          canvas.style.cursor = urlAt(chart, event) ? "pointer" : "default";
        },
      },
    });
  }

  function drawIn(root) {
    if (!root || !root.querySelectorAll) {
      return;
    }
    if (root.matches && root.matches(".report-table[data-chart]")) {
      draw(root);
    }
    root.querySelectorAll(".report-table[data-chart]").forEach(draw);
  }

  // Printing: let each chart take the printed page's width, then the screen's again.
  function resizeAll() {
    if (!window.Chart) {
      return;
    }
    Object.keys(window.Chart.instances).forEach(function (id) {
      window.Chart.instances[id].resize();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawIn(document);
  });
  document.addEventListener("htmx:load", function (event) {
    drawIn(event.detail && event.detail.elt);
  });
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
  if (window.matchMedia) {
    var print = window.matchMedia("print");
    if (print.addEventListener) {
      print.addEventListener("change", resizeAll);
    }
  }
})();
