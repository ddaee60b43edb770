// The spoken answer recorder of the moderation console, for hotline
// tickets: records the moderator's microphone with Web Audio, downsamples
// to 8 kHz mono 16-bit PCM (what the phone network carries) in the
// browser and uploads it as a WAV to the hotline's endpoint named in
// data-url; a caller who asks the ticket's status by phone hears it. A
// static file because the Content-Security-Policy forbids inline script.
(function () {
  var box = document.getElementById("answer-audio");
  if (!box) return;
  var url = box.dataset.url;
  var maxSeconds = parseInt(box.dataset.max || "180", 10);
  var recBtn = document.getElementById("answer-audio-record");
  var stopBtn = document.getElementById("answer-audio-stop");
  var status = document.getElementById("answer-audio-status");
  var player = document.getElementById("answer-audio-player");
  var say = function (key, extra) { status.textContent = (box.dataset[key] || key) + (extra || ""); status.dataset.state = key; };

  // Show the recording already saved, if any.
  var showSaved = function () {
    // One byte is enough to know (the server answers ranges).
    fetch(url, {credentials: "same-origin", headers: {"Range": "bytes=0-0"}}).then(function (r) {
      if (r.ok) { player.src = url + "?t=" + Date.now(); player.hidden = false; }
    });
  };
  showSaved();

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !(window.AudioContext || window.webkitAudioContext)) {
    recBtn.disabled = true;
    say("unsupported");
    return;
  }

  var ctx = null, stream = null, node = null, source = null, chunks = [], rate = 0, length = 0, timer = null;

  var stopAll = function () {
    if (timer) { clearInterval(timer); timer = null; }
    if (node) { node.disconnect(); node.onaudioprocess = null; node = null; }
    if (source) { source.disconnect(); source = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    if (ctx) { ctx.close(); ctx = null; }
  };

  recBtn.addEventListener("click", function () {
    recBtn.disabled = true;
    navigator.mediaDevices.getUserMedia({audio: {channelCount: 1, echoCancellation: true, noiseSuppression: true}}).then(function (s) {
      stream = s;
      ctx = new (window.AudioContext || window.webkitAudioContext)();
      rate = ctx.sampleRate;
      source = ctx.createMediaStreamSource(s);
      // ScriptProcessor is deprecated but everywhere; an AudioWorklet
      // would need a second file for no gain at telephone quality.
      node = ctx.createScriptProcessor(4096, 1, 1);
      chunks = []; length = 0;
      node.onaudioprocess = function (e) {
        var data = e.inputBuffer.getChannelData(0);
        chunks.push(new Float32Array(data));
        length += data.length;
        if (length >= maxSeconds * rate) stopBtn.click();
      };
      source.connect(node);
      node.connect(ctx.destination);
      stopBtn.disabled = false;
      var started = Date.now();
      say("recording", " 0 s");
      timer = setInterval(function () { say("recording", " " + Math.floor((Date.now() - started) / 1000) + " s"); }, 250);
    }).catch(function () {
      recBtn.disabled = false;
      say("denied");
    });
  });

  stopBtn.addEventListener("click", function () {
    if (!node) return;
    stopBtn.disabled = true;
    var samples = downsample(chunks, length, rate, 8000);
    stopAll();
    say("uploading");
    var csrf = document.querySelector('input[name="csrf_token"]');
    fetch(url, {method: "PUT", credentials: "same-origin", body: wav(samples, 8000),
      headers: {"Content-Type": "audio/wav", "X-CSRF-Token": csrf ? csrf.value : ""}})
      .then(function (r) {
        if (r.ok) { say("saved"); showSaved(); return; }
        return r.json().then(function (j) { say("failed", ": " + (j.error && j.error.message || r.status)); });
      })
      .catch(function () { say("failed"); })
      .then(function () { recBtn.disabled = false; });
  });

  // downsample averages each output sample's span of input samples (a box
  // low-pass, enough against aliasing at speech levels) into 16-bit PCM.
  function downsample(chunks, length, from, to) {
    var all = new Float32Array(length), off = 0;
    chunks.forEach(function (c) { all.set(c, off); off += c.length; });
    var ratio = from / to, n = Math.floor(length / ratio), out = new Int16Array(n);
    for (var i = 0; i < n; i++) {
      var start = Math.floor(i * ratio), end = Math.min(length, Math.floor((i + 1) * ratio)), sum = 0;
      for (var j = start; j < end; j++) sum += all[j];
      var v = end > start ? sum / (end - start) : 0;
      v = Math.max(-1, Math.min(1, v));
      out[i] = v < 0 ? v * 0x8000 : v * 0x7fff;
    }
    return out;
  }

  // wav wraps 16-bit mono PCM in a RIFF/WAVE header.
  function wav(samples, rate) {
    var buf = new ArrayBuffer(44 + samples.length * 2), v = new DataView(buf);
    var str = function (o, s) { for (var i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
    str(0, "RIFF"); v.setUint32(4, 36 + samples.length * 2, true); str(8, "WAVE");
    str(12, "fmt "); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
    v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
    str(36, "data"); v.setUint32(40, samples.length * 2, true);
    for (var i = 0; i < samples.length; i++) v.setInt16(44 + i * 2, samples[i], true);
    return new Blob([buf], {type: "audio/wav"});
  }
})();
