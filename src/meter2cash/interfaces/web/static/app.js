// Meter2Cash console and portal: draw every ECharts chart declared in the page (CSP allows no
// inline script, so a chart is a <div class="chart" data-option='{...}'>), also after HTMX swaps.
(function () {
  function draw(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll(".chart[data-option]").forEach(function (el) {
      if (el.dataset.drawn) return;
      el.dataset.drawn = "1";
      var chart = echarts.init(el, null, { renderer: "svg" });
      var option = JSON.parse(el.dataset.option);
      option.animation = false;  // drawn at once: steady on slow tablets and in screenshots
      chart.setOption(option);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
  // A button marked data-print prints the page (the receipt), without an inline onclick.
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
  });
})();
