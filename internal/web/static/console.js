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
  // A canned answer picked from the list is inserted at the cursor of the
  // answer box (replacing only what is selected there), so a moderator can
  // put one inside the answer they are writing. A change event for the
  // answer just inserted (a script firing it twice) inserts nothing more.
  var canned = document.getElementById("canned");
  if (canned) {
    var inserted = "";
    canned.addEventListener("change", function () {
      var box = document.getElementById("body");
      if (!canned.value || !box || canned.value === inserted) return;
      inserted = canned.value;
      var start = box.selectionStart, end = box.selectionEnd;
      if (typeof start !== "number") start = end = box.value.length;
      box.setRangeText(canned.value, start, end, "end");
      box.focus();
    });
  }
})();
