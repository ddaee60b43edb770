// The moderation console, kept out of the pages so the Content-Security-
// Policy can forbid inline scripts.
(function () {
  // Live queue: any change on any node arrives as a server-sent event; the
  // table is re-fetched (coalesced to one request per half second).
  var box = document.getElementById("queue");
  if (box && window.EventSource) {
    var timer = null;
    var reload = function () {
      timer = null;
      fetch(box.dataset.src, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) box.innerHTML = html; });
    };
    var es = new EventSource("/console/events");
    es.addEventListener("item", function (e) {
      if (!timer) timer = setTimeout(reload, 500);
      var ev = {};
      try { ev = JSON.parse(e.data); } catch (x) { /* a resync or keepalive */ }
      if (ev.event === "created" && window.DoiThoaiAlert) window.DoiThoaiAlert.ping();
    });
  }
  // A canned answer picked from the list fills the answer box.
  var canned = document.getElementById("canned");
  if (canned) {
    canned.addEventListener("change", function () {
      if (canned.value) document.getElementById("body").value = canned.value;
    });
  }
})();
