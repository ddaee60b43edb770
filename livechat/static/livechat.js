// Live updates for the livechat pages. The protocol is in livechat/PROTOCOL.md.
// Pages are readable without this script; it adds the socket.
(function () {
  'use strict';
  // The chat start form says whether this browser runs the script: a
  // conversation opened without it could never be used (the server then
  // offers the ask form instead of opening one).
  var jsMark = document.getElementById('lc-js');
  if (jsMark && window.WebSocket) jsMark.value = '1';
  var root = document.getElementById('lc');
  if (!root || !window.WebSocket) return;
  var T = JSON.parse(document.getElementById('lc-i18n').textContent);
  var page = root.dataset.page;
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function api(method, path, body) {
    return fetch(path, {
      method: method, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      if (r.status === 204) return null;
      return r.json().then(function (j) { if (!r.ok) throw (j.error || { message: T['chat.error'] }); return j; });
    });
  }
  function fail(e) { alert((e && e.message) || T['chat.error']); }

  // Socket keeps the last seq seen per room, rejoins with since after a
  // reconnect and resends lines not yet acknowledged (same client_id, so
  // the server stores them once). History comes in pages: after each one
  // that is not the last it joins again from the last seq seen, and after
  // a rate_limited or unavailable join it waits retry_after seconds first.
  function Socket(onFrame) {
    var self = this, delay = 500;
    self.rooms = {}; self.pending = {};
    function raw(f) { if (self.ws && self.ws.readyState === 1) self.ws.send(JSON.stringify(f)); }
    function rejoin(room) { if (room in self.rooms) raw({ type: 'join', room: room, since: self.rooms[room] }); }
    self.join = function (room, since) { self.rooms[room] = since || 0; rejoin(room); };
    self.leave = function (room) { delete self.rooms[room]; raw({ type: 'leave', room: room }); };
    self.typing = function (room) { raw({ type: 'typing', room: room }); };
    self.say = function (room, body) {
      var id = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
      self.pending[id] = { type: 'send', room: room, body: body, client_id: id };
      raw(self.pending[id]);
    };
    function connect() {
      var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
      self.ws = ws;
      ws.onopen = function () {
        delay = 500;
        for (var r in self.rooms) raw({ type: 'join', room: r, since: self.rooms[r] });
        for (var id in self.pending) raw(self.pending[id]);
        onFrame({ type: 'open' });
      };
      ws.onmessage = function (ev) {
        var f;
        try { f = JSON.parse(ev.data); } catch (e) { return; }
        if (f.type === 'message' && f.room in self.rooms) {
          if (f.seq <= self.rooms[f.room]) return;
          self.rooms[f.room] = f.seq;
        }
        if (f.type === 'ack') delete self.pending[f.client_id];
        if (f.type === 'history' && f.more) { rejoin(f.room); return; }
        if (f.type === 'error' && (f.code === 'rate_limited' || f.code === 'unavailable') && f.room in self.rooms && !f.client_id) {
          setTimeout(function () { if (self.ws === ws) rejoin(f.room); }, (f.retry_after || 1) * 1000);
          return;
        }
        onFrame(f);
      };
      ws.onclose = function (ev) {
        onFrame({ type: 'down', code: ev.code });
        if (ev.code === 4000 || ev.code === 4029) return;
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 15000);
      };
    }
    connect();
  }

  function viewers(f) {
    var v = $('lc-viewers');
    if (v && f.type === 'presence') v.textContent = T['live.viewers'].replace('%d', f.viewers);
  }

  // Chat lines (citizen page and operator console).
  function line(log, m, mine) {
    if (log.querySelector('[data-seq="' + m.seq + '"]')) return;
    var who = m.author_role === mine ? T['chat.you'] : (m.author || T[m.author_role === 'citizen' ? 'chat.citizen' : 'chat.operator']);
    var d = el('div', 'msg ' + m.kind);
    d.dataset.seq = m.seq;
    var text = m.kind === 'accepted' ? T['chat.accepted'] : m.kind === 'closed' ? closedText(m) : m.body;
    d.appendChild(el('span', 'who', who));
    d.appendChild(document.createTextNode(' '));
    var at = el('time', 'muted', hhmm(m.at));
    at.dateTime = m.at;
    d.appendChild(at);
    d.appendChild(document.createTextNode(' ' + text));
    log.appendChild(d);
    log.scrollTop = log.scrollHeight;
  }
  // Times as the server renders them: the clock of Vietnam, 24 h.
  function hhmm(at) {
    var d = new Date(at);
    if (isNaN(d)) return '';
    try {
      return d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'Asia/Ho_Chi_Minh' });
    } catch (e) {
      return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2);
    }
  }
  // The close notice names the operator who ended the chat.
  function closedText(m) {
    return m.author_role === 'operator' && m.author ? T['chat.closed_by'].replace('%s', m.author) : T['chat.closed'];
  }
  function typingShow(f, mine) {
    var t = $('lc-typing');
    if (!t || f.author === mine) return;
    t.textContent = T['chat.typing'];
    clearTimeout(t._h);
    t._h = setTimeout(function () { t.textContent = ''; }, 3000);
  }
  function wireForm(sock, getRoom) {
    var form = $('lc-form'), body = $('lc-body');
    if (!form) return;
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var v = body.value.trim();
      if (!v || !getRoom()) return;
      sock.say(getRoom(), v);
      body.value = '';
    });
    var last = 0;
    body.addEventListener('input', function () {
      var now = Date.now();
      if (getRoom() && now - last > 1500) { last = now; sock.typing(getRoom()); }
    });
  }

  var pages = {};
  pages.chat = function () {
    var room = root.dataset.room, log = $('lc-log');
    var sock = new Socket(function (f) {
      if (f.type === 'message') {
        line(log, f, 'citizen');
        if (f.kind === 'accepted') {
          $('lc-state').textContent = T['chat.accepted'] + ' ' + f.author;
          if ($('lc-offline')) $('lc-offline').hidden = true;
        }
        if (f.kind === 'closed') location.reload();
      } else if (f.type === 'position') {
        var p = $('lc-pos');
        if (p) p.textContent = T['chat.position'].replace('%d', f.position);
      } else if (f.type === 'typing') typingShow(f, 'citizen');
      else if (f.type === 'offline' && f.room === room && $('lc-offline')) {
        // No officer took the chat in time: offer the offline question form.
        $('lc-offline').hidden = false;
        root.dataset.offline = '1';
      }
    });
    sock.join(room, +root.dataset.since);
    wireForm(sock, function () { return room; });
    var close = $('lc-close');
    if (close) close.addEventListener('submit', function (e) {
      e.preventDefault();
      var r = $('lc-rating').value;
      api('POST', '/api/v1/conversations/' + root.dataset.conv + '/close', r ? { rating: +r } : {})
        .then(function () { location.reload(); }, fail);
    });
    // Ended by the operator: the citizen is still asked for a rating.
    var rate = $('lc-rate');
    if (rate) rate.addEventListener('submit', function (e) {
      e.preventDefault();
      var r = $('lc-rate-value').value;
      if (!r) return;
      api('POST', '/api/v1/conversations/' + root.dataset.conv + '/rating', { rating: +r }).then(function () {
        rate.hidden = true;
        $('lc-rated').hidden = false;
      }, fail);
    });
  };

  pages.console = function () {
    var current = null, log = $('lc-log');
    var sock = new Socket(function (f) {
      if (f.type === 'queue') { alertNew(f.waiting); renderQueue(f.waiting); }
      else if (f.type === 'message' && f.room === current) {
        line(log, f, 'operator');
        if (f.author_role === 'citizen' && document.hidden && window.DoiThoaiAlert) window.DoiThoaiAlert.ping();
      }
      else if (f.type === 'typing' && f.room === current) typingShow(f, 'operator');
    });
    // A conversation not seen waiting before calls the operator (attention.js).
    var seen = {};
    [].forEach.call(document.querySelectorAll('#lc-waiting [data-id]'), function (li) { seen[li.dataset.id] = true; });
    function alertNew(list) {
      var fresh = false;
      list.forEach(function (w) { if (!seen[w.id]) { seen[w.id] = true; fresh = true; } });
      if (fresh && window.DoiThoaiAlert) window.DoiThoaiAlert.ping();
    }
    function renderQueue(list) {
      var ul = $('lc-waiting');
      ul.textContent = '';
      if (!list.length) ul.appendChild(el('li', 'muted', T['chatdesk.empty']));
      list.forEach(function (w) {
        var li = el('li', null, '#' + w.id + ' ' + w.name + ' — ' + w.topic + ' ');
        li.dataset.id = w.id;
        var b = el('button', null, T['chatdesk.accept']);
        b.type = 'button';
        b.dataset.accept = w.id;
        li.appendChild(b);
        ul.appendChild(li);
      });
    }
    function open(id, title) {
      if (current) sock.leave(current);
      current = 'conv:' + id;
      log.textContent = '';
      $('lc-pane').hidden = false;
      $('lc-pane-title').textContent = title;
      sock.join(current, 0);
    }
    root.addEventListener('click', function (e) {
      var a = e.target.dataset.accept, o = e.target.dataset.open;
      if (a) api('POST', '/api/v1/conversations/' + a + '/accept').then(function (c) {
        var li = el('li'), b = el('button', 'link', '#' + c.id + ' ' + c.name + ' — ' + c.topic);
        b.type = 'button'; b.dataset.open = c.id;
        li.appendChild(b);
        $('lc-mine').appendChild(li);
        open(c.id, b.textContent);
      }, fail);
      if (o) open(o, e.target.textContent);
    });
    $('lc-end').addEventListener('click', function () {
      if (!current) return;
      api('POST', '/api/v1/conversations/' + current.slice(5) + '/close', {}).then(null, fail);
    });
    wireForm(sock, function () { return current; });
    sock.join('queue', 0);
  };

  // Live session: viewers, desk and leader pages share the question list.
  function addAnswer(li, m) {
    var box = li.querySelector('.answers'), d = el('div', 'card official-answer');
    d.appendChild(el('span', 'badge official', m.author));
    d.appendChild(document.createTextNode(' ' + m.body));
    box.appendChild(d);
  }
  function questionItem(id, name, body, withForm) {
    var li = el('li', 'q');
    li.id = 'q' + id;
    li.dataset.id = id;
    var d = el('div');
    d.appendChild(el('b', 'who', name || '#' + id));
    d.appendChild(document.createTextNode(': ' + body));
    li.appendChild(d);
    li.appendChild(el('div', 'answers'));
    if (withForm) {
      var f = el('form', 'answer');
      f.dataset.id = id;
      var ta = el('textarea'), lb = el('label', null, T['leader.answer_label']);
      ta.name = 'body'; ta.required = true; ta.id = 'ans-' + id;
      lb.htmlFor = ta.id;
      f.appendChild(lb);
      var b = el('button', null, T['leader.send']);
      b.type = 'submit';
      f.appendChild(ta); f.appendChild(b);
      li.appendChild(f);
    }
    return li;
  }
  function reorder(list, ids) {
    ids.forEach(function (id) { var li = list.querySelector('[data-id="' + id + '"]'); if (li) list.appendChild(li); });
  }
  function livePage(withForm) {
    var list = $('lc-questions');
    var sock = new Socket(function (f) {
      viewers(f);
      if (f.type !== 'message') return;
      var d = f.data || {};
      var own = $('q' + d.question_id);
      if (f.kind === 'question' && own) {
        // the asker's own question, listed as pending, is approved now
        var b = own.querySelector('.badge.pending');
        if (b) b.remove();
      } else if (f.kind === 'question') {
        list.appendChild(questionItem(d.question_id, f.author, f.body, withForm));
        var nq = $('lc-noq');
        if (nq) nq.remove();
      } else if (f.kind === 'answer') {
        var li = $('q' + d.question_id);
        if (!li) { li = questionItem(d.question_id, d.asker, d.question, withForm); list.appendChild(li); }
        addAnswer(li, f);
      } else if (f.kind === 'order') reorder(list, d.question_ids || []);
      else if (f.kind === 'ended') location.reload();
    });
    sock.join(root.dataset.room, +root.dataset.since);
    return sock;
  }
  pages.session = function () { livePage(false); };
  pages.leader = function () {
    livePage(true);
    root.addEventListener('submit', function (e) {
      var f = e.target;
      if (!f.classList.contains('answer')) return;
      e.preventDefault();
      var body = f.elements.body.value.trim();
      if (!body) return;
      api('POST', '/api/v1/live-sessions/' + root.dataset.session + '/answers', { question_id: +f.dataset.id, body: body })
        .then(function () { f.elements.body.value = ''; }, fail);
    });
  };
  pages.desk = function () {
    var sid = root.dataset.session, pending = $('lc-pending'), approved = $('lc-approved');
    var sock = new Socket(function (f) {
      viewers(f);
      if (f.type !== 'message') return;
      var d = f.data || {};
      if (f.kind === 'question') {
        var li = pending.querySelector('[data-id="' + d.question_id + '"]');
        if (li) li.remove();
        if (!approved.querySelector('[data-id="' + d.question_id + '"]')) {
          var n = el('li', null, (f.author ? f.author + ': ' : '') + f.body + ' ');
          n.dataset.id = d.question_id;
          [-1, 1].forEach(function (k) { var b = el('button', 'secondary', k < 0 ? '↑' : '↓'); b.type = 'button'; b.dataset.move = k; b.setAttribute('aria-label', T[k < 0 ? 'desk.up' : 'desk.down']); n.appendChild(b); });
          approved.appendChild(n);
        }
      } else if (f.kind === 'order') reorder(approved, d.question_ids || []);
    });
    sock.join(root.dataset.room, +root.dataset.since);
    function refresh() {
      api('GET', '/api/v1/live-sessions/' + sid).then(function (j) {
        j.questions.forEach(function (q) {
          if (q.status !== 'pending' || pending.querySelector('[data-id="' + q.id + '"]')) return;
          var li = el('li', null, (q.name ? q.name + ': ' : '') + q.body + ' ');
          li.dataset.id = q.id;
          [['approve', ''], ['reject', 'danger']].forEach(function (a) {
            var b = el('button', a[1], T['desk.' + a[0]]); b.type = 'button'; b.dataset.act = a[0]; li.appendChild(b);
          });
          pending.appendChild(li);
        });
      });
    }
    // New questions arrive live: every queue change on any node comes as a
    // server-sent event from the moderation console's stream (staff only,
    // as this desk is); a live question's sends a fetch of the pending list.
    if (window.EventSource) {
      var es = new EventSource('/console/events');
      es.addEventListener('item', function (e) {
        var ev = {};
        try { ev = JSON.parse(e.data); } catch (x) { return; }
        if (ev.source === 'live_question' || ev.event === 'resync') { refresh(); if (window.DoiThoaiAlert && ev.event === 'created') window.DoiThoaiAlert.ping(); }
      });
    }
    $('lc-reload').addEventListener('click', refresh);
    root.addEventListener('click', function (e) {
      var t = e.target, li = t.closest('li');
      if (!li) return;
      if (t.dataset.act) {
        api('POST', '/api/v1/live-sessions/' + sid + '/questions/' + li.dataset.id + '/' + t.dataset.act, {})
          .then(function () { if (t.dataset.act === 'reject') li.remove(); }, fail);
      } else if (t.dataset.move) {
        var ids = [].map.call(approved.children, function (x) { return +x.dataset.id; });
        var i = ids.indexOf(+li.dataset.id), j = i + (+t.dataset.move);
        if (j < 0 || j >= ids.length) return;
        ids.splice(j, 0, ids.splice(i, 1)[0]);
        api('POST', '/api/v1/live-sessions/' + sid + '/order', { question_ids: ids }).then(null, fail);
      }
    });
  };
  if (pages[page]) pages[page]();
})();
