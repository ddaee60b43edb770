// The leaders' dashboard: the print view's button opens the browser's
// print dialog (kept out of the page: the CSP forbids inline scripts).
(function () {
  var b = document.getElementById("print-now");
  if (b) b.addEventListener("click", function () { window.print(); });
})();
