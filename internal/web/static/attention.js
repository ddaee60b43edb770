// Staff pages (the moderation console, the chat console, the live desk):
// when new work arrives, a count in the tab's title and a short tone, so a
// moderator working in another tab notices. The page's checkbox
// #alert-toggle turns it off, remembered in this browser. Pages call
// DoiThoaiAlert.ping() on their own live events.
(function () {
  var KEY = 'doithoai.alerts';
  var on = true;
  try { on = localStorage.getItem(KEY) !== 'off'; } catch (e) { /* storage blocked: stay on */ }
  var base = document.title, count = 0, audio = null;
  function clear() { count = 0; document.title = base; }
  function tone() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880;
      g.gain.value = 0.08;
      o.connect(g);
      g.connect(audio.destination);
      o.start();
      o.stop(audio.currentTime + 0.15);
    } catch (e) { /* no audio: the title still counts */ }
  }
  var box = document.getElementById('alert-toggle');
  if (box) {
    box.checked = on;
    box.addEventListener('change', function () {
      on = box.checked;
      try { localStorage.setItem(KEY, on ? 'on' : 'off'); } catch (e) { /* not remembered */ }
      if (!on) clear();
    });
  }
  document.addEventListener('visibilitychange', function () { if (!document.hidden) clear(); });
  window.addEventListener('focus', clear);
  window.DoiThoaiAlert = {
    ping: function () {
      if (!on) return;
      count++;
      document.title = '(' + count + ') ' + base;
      tone();
    }
  };
})();
