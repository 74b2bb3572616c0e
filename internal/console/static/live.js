// live.js: the console's live pages, without a framework. It listens to
// /events (server-sent events of the gateway's committed events, filtered
// by role), adds new calls to a table that declares data-live, keeps the
// emergency banner current, and says when the stream is lost. Device data
// is only ever set as text (textContent), never as HTML.
(function () {
  "use strict";
  if (!window.EventSource) { return; }
  var status = document.getElementById("live-status");
  var alarms = document.getElementById("alarms");
  var lost = false;

  function text(tag, value) {
    var el = document.createElement(tag);
    el.textContent = value == null ? "" : String(value);
    return el;
  }
  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d)) { return ""; }
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function duration(s) {
    s = s || 0;
    return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }
  function money(amount, currency) {
    return amount ? amount + " " + (currency || "") : "";
  }
  function prepend(table, cells) {
    if (!table) { return; }
    var row = document.createElement("tr");
    row.className = "fresh";
    cells.forEach(function (c) { row.appendChild(text("td", c)); });
    var body = table.tBodies[0];
    body.insertBefore(row, body.firstChild);
    var empty = table.nextElementSibling;
    if (empty && empty.classList.contains("empty")) { empty.hidden = true; }
  }
  function table(kind) { return document.querySelector('table[data-live="' + kind + '"]'); }

  // A call that is neither charged nor flagged (internal, free, from a
  // phone that is no guest's) has only its hotel.pbx.call.recorded: when
  // no charge or flag follows it within 1.5 s, the log is read again (the
  // page's own rows, so it shows what a reload would).
  var quiet = {};
  function callKey(d) { return d.device + "/" + d.journal_id; }
  function recorded(d) {
    if (!table("calls")) { return; }
    var k = callKey(d);
    clearTimeout(quiet[k]);
    quiet[k] = setTimeout(function () {
      delete quiet[k];
      fragment(location.pathname + location.search, function (doc) { swap(doc, "calls"); });
    }, 1500);
  }
  function heard(d) {
    var k = callKey(d);
    if (quiet[k]) { clearTimeout(quiet[k]); delete quiet[k]; }
  }
  function charged(d) {
    heard(d);
    prepend(table("calls"), [clock(d.start), d.room, d.extension, d["class"], d.dialed, duration(d.duration_s),
      money(d.amount, d.currency), d.late ? "late-charge" : ""]);
  }
  function flagged(d) {
    heard(d);
    var why = (d.flags || []).join(", ");
    if (!d.posted && d.not_posted) { why += (why ? ": " : "") + d.not_posted; }
    var amount = d.amount && d.amount !== "0" && d.amount !== "0.00" ? money(d.amount, d.currency) : "";
    // The resolution cell stays empty until the page is loaded again (its form needs the page).
    prepend(table("flagged"), [clock(d.start), d.room, d.extension, d.dialed, duration(d.duration_s), amount, why, ""]);
    if (!d.posted) {
      prepend(table("calls"), [clock(d.start), d.room, d.extension, d["class"], d.dialed, duration(d.duration_s), "", why]);
    }
  }

  // The banner is rebuilt from /api/emergencies: the server knows which
  // emergencies are still open (acknowledged by anyone, anywhere).
  function refreshAlarms() {
    if (!alarms) { return; }
    fetch("/api/emergencies", { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (list) {
      if (!list) { return; }
      var csrf = document.querySelector('input[name="csrf"]');
      var ds = alarms.dataset;
      while (alarms.firstChild) { alarms.removeChild(alarms.firstChild); }
      list.forEach(function (a) {
        var div = document.createElement("div");
        div.className = "alarm";
        div.appendChild(text("strong", ds.title));
        div.appendChild(document.createTextNode(" " + ds.room + " " + a.room + " · " + ds.extension + " " + a.extension +
          " · " + a.service + " (" + a.dialed + ") · " + clock(a.start) + " "));
        var form = document.createElement("form");
        form.method = "post";
        form.action = "/emergency/ack";
        form.className = "inline";
        [["csrf", csrf ? csrf.value : ""], ["key", a.key], ["back", ds.back]].forEach(function (f) {
          var input = document.createElement("input");
          input.type = "hidden";
          input.name = f[0];
          input.value = f[1];
          form.appendChild(input);
        });
        form.appendChild(text("button", ds.ack));
        div.appendChild(form);
        alarms.appendChild(div);
      });
    }).catch(function () {});
  }

  // fragment reads a page (or a part of one) of the console as a document.
  function fragment(url, then) {
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html) { then(new DOMParser().parseFromString(html, "text/html")); }
    }).catch(function () {});
  }
  // A flagged call resolved (here or elsewhere): its row is marked and the
  // page offers a refresh (the resolution's text is the server's to write).
  function resolved(d) {
    var rows = document.querySelectorAll('table[data-live="flagged"] tr[data-call]');
    Array.prototype.forEach.call(rows, function (row) {
      if (row.dataset.call === d.call) {
        row.classList.add("resolved");
        var form = row.querySelector("form.resolve");
        if (form) { form.hidden = true; }
      }
    });
    var note = document.getElementById("flagged-changed");
    if (note) { note.hidden = false; }
  }

  // A device's alert or state changed: its row on the devices page is
  // read again (GET /devices, the page's own rows) and replaced, marked
  // as changed; the rest of the page, and the handover checklist being
  // filled in, stay as they are. A device with no row yet (it reported
  // for the first time) makes the page offer a refresh.
  function deviceChanged(d) {
    var rows = document.querySelectorAll('table[data-live="devices"] tr[data-device]');
    if (!rows.length && !document.getElementById("devices-changed")) { return; }
    var note = document.getElementById("devices-changed");
    fragment("/devices", function (doc) {
      var hit = false;
      Array.prototype.forEach.call(doc.querySelectorAll('table[data-live="devices"] tr[data-device]'), function (fresh) {
        if (fresh.dataset.device !== d.device) { return; }
        Array.prototype.forEach.call(document.querySelectorAll('table[data-live="devices"] tr[data-device]'), function (row) {
          if (row.dataset.device === d.device && row.parentNode.parentNode.dataset.domain === fresh.parentNode.parentNode.dataset.domain) {
            var copy = document.importNode(fresh, true);
            copy.classList.add("changed");
            row.replaceWith(copy);
            hit = true;
          }
        });
      });
      if (!hit && note) { note.hidden = false; }
    });
  }

  // The wake-up board is read again from the server on every wake-up
  // event (the server decides what is red), and chimes while a red row
  // waits for its acknowledgement.
  var boardTimer = null;
  function refreshBoard() {
    var board = document.getElementById("wakeup-board");
    if (!board) { return; }
    var q = board.dataset.query ? "?" + board.dataset.query : "";
    fetch("/wakeups/board" + q, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) { return; }
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("wakeup-board");
      var now = document.getElementById("wakeup-board");
      if (!fresh || !now) { return; }
      now.replaceWith(document.importNode(fresh, true));
      chime();
    }).catch(function () {});
  }
  var audio = null;
  function beep() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    if (!audio) { audio = new Ctx(); }
    if (audio.state === "suspended") { audio.resume(); }
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.2;
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
  }
  function chime() {
    var board = document.getElementById("wakeup-board");
    var open = board ? parseInt(board.dataset.alarms || "0", 10) : 0;
    document.body.dataset.chime = open > 0 ? "on" : "off";
    if (open > 0 && !boardTimer) {
      beep();
      boardTimer = setInterval(beep, 4000);
    } else if (open === 0 && boardTimer) {
      clearInterval(boardTimer);
      boardTimer = null;
    }
  }
  // Browsers let a page sound only after a person used it: the first key
  // or click anywhere unlocks the chime.
  ["click", "keydown"].forEach(function (t) {
    document.addEventListener(t, function () { if (audio && audio.state === "suspended") { audio.resume(); } }, { once: true });
  });
  chime();

  // A print job ended: its page (data-live="print-job") is read again for
  // the result and the bill. A copy session ended: the copy page says so.
  // The job's end is seen twice, by its event and by the poll below: the
  // page is loaded again once (a second reload while the first is under
  // way would load it twice, under the reader's eyes), and only while it
  // shows the job running (the page loaded after the end may still get
  // the event: the stream starts where the feed's last 100 ms poll was).
  var reloading = false;
  function reloadOnce() {
    if (!reloading) { reloading = true; location.reload(); }
  }
  function printEnded(d) {
    var job = document.querySelector('[data-live="print-job"]');
    if (job && job.dataset.running && d.command_id && job.dataset.command === d.command_id) { reloadOnce(); }
  }
  // A job still running: its state table is read again every second for
  // its progress (the desk publishes only the job's end: the impressions
  // so far are the driver's own reading of the printer) and swapped in;
  // once the job has ended the whole page is loaded again for the bill.
  var running = document.querySelector('[data-live="print-job"][data-running]');
  if (running) {
    setInterval(function () {
      if (reloading) { return; }
      fragment(location.pathname, function (doc) {
        var fresh = doc.querySelector('[data-live="print-job"]');
        if (fresh && !fresh.dataset.running) { reloadOnce(); return; }
        if (!reloading) { swap(doc, "print-job"); }
      });
    }, 1000);
  }
  function copyEnded() {
    var note = document.getElementById("copy-changed");
    if (note) { note.hidden = false; }
  }

  var handlers = {
    "hotel.print.job.completed": printEnded,
    "hotel.print.copy.completed": copyEnded,
    "hotel.pbx.call.recorded": recorded,
    "hotel.pbx.call.charged": charged,
    "hotel.pbx.call.flagged": flagged,
    "hotel.pbx.call.resolved": resolved,
    "hotel.pbx.emergency.call": refreshAlarms,
    "console.emergency.acknowledged": refreshAlarms
  };
  ["pbx", "fax", "print"].forEach(function (domain) {
    handlers["hotel." + domain + ".device.alert"] = deviceChanged;
    handlers["hotel." + domain + ".state.link"] = deviceChanged;
  });
  handlers["hotel.print.state.status"] = deviceChanged;
  ["scheduled", "answered", "unanswered", "escalated", "at-risk", "unmatched"].forEach(function (kind) {
    handlers["hotel.pbx.wakeup." + kind] = refreshBoard;
  });
  handlers["console.wakeup.acknowledged"] = refreshBoard;

  // A fax job's page follows its job: read again at each of its events
  // (an attempt's end with its pages, the outcome). The register offers a
  // refresh when a fax comes in or changes (a form being filled in is
  // not lost to a reload).
  function faxJob(d) {
    var el = document.querySelector('[data-live="faxjob"]');
    if (el && String(d.job_id) === el.dataset.job) { location.reload(); }
  }
  function faxRegister() {
    var note = document.getElementById("fax-changed");
    if (note && document.querySelector('[data-live="faxinbox"]')) { note.hidden = false; }
  }
  ["attempt", "sent", "failed"].forEach(function (t) { handlers["hotel.fax." + t] = faxJob; });
  // During the call each page the receiver answers is an event of its
  // own: the job page reads itself again and swaps its state, its
  // progress bar and its page list (what a reload would show), one read
  // at a time so an older answer never overwrites a newer one.
  var pagesBusy = false, pagesAgain = false;
  function refreshFaxPages() {
    if (!document.getElementById("job-pages")) { return; }
    if (pagesBusy) { pagesAgain = true; return; }
    pagesBusy = true;
    pagesAgain = false;
    fetch(location.pathname, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) { return; }
      var doc = new DOMParser().parseFromString(html, "text/html");
      ["job-state", "job-confirmed", "job-pages"].forEach(function (id) { swap(doc, id); });
    }).catch(function () {}).then(function () {
      pagesBusy = false;
      if (pagesAgain) { refreshFaxPages(); }
    });
  }
  handlers["hotel.fax.page"] = function (d) {
    var el = document.querySelector('[data-live="faxjob"]');
    if (el && String(d.job_id) === el.dataset.job) { refreshFaxPages(); }
  };
  ["received", "assigned", "delivered", "archived", "destroyed"].forEach(function (t) { handlers["hotel.fax." + t] = faxRegister; });

  // The room grid follows the rooms' events: a room an event names has
  // its cell read again (GET /rooms/cells: the grid's own template, so it
  // shows what a reload would); a filtered grid is read whole (a room may
  // enter or leave it), and so is the grid after a drop. A room's card
  // reads its state table again. Events of 50 ms are read together.
  var roomsDue = {}, roomsTimer = null;
  function swap(doc, id) {
    var fresh = doc.getElementById(id), now = document.getElementById(id);
    if (fresh && now) { now.replaceWith(document.importNode(fresh, true)); }
  }
  function refreshGrid() {
    var grid = document.getElementById("rooms-grid");
    if (!grid) { return; }
    var q = grid.dataset.query ? "?" + grid.dataset.query : "";
    fragment("/rooms/grid" + q, function (doc) { swap(doc, "rooms-grid"); });
  }
  function refreshCard() {
    if (document.getElementById("room-state")) {
      fragment(location.pathname, function (doc) { swap(doc, "room-state"); });
    }
  }
  function flushRooms() {
    var rooms = Object.keys(roomsDue);
    roomsDue = {};
    roomsTimer = null;
    var grid = document.getElementById("rooms-grid");
    if (grid && (grid.dataset.filtered || rooms.length > 64)) {
      refreshGrid();
    } else if (grid) {
      var shown = rooms.filter(function (r) { return document.getElementById("cell-" + r); });
      if (shown.length) {
        fragment("/rooms/cells?" + shown.map(function (r) { return "room=" + encodeURIComponent(r); }).join("&"), function (doc) {
          shown.forEach(function (r) { swap(doc, "cell-" + r); });
        });
      }
    }
    var card = document.getElementById("room-state");
    if (card && rooms.indexOf(card.dataset.room) >= 0) { refreshCard(); }
  }
  function roomChanged(d) {
    if (!document.getElementById("rooms-grid") && !document.getElementById("room-state")) { return; }
    [d.room, d.from, d.to].concat(d.rooms || []).forEach(function (r) {
      if (typeof r === "string" && r) { roomsDue[r] = true; }
    });
    if (!roomsTimer) { roomsTimer = setTimeout(flushRooms, 50); }
  }
  function also(type, fn) {
    var prev = handlers[type];
    handlers[type] = prev ? function (d) { prev(d); fn(d); } : fn;
  }
  ["scheduled", "answered", "unanswered", "escalated", "at-risk", "unmatched"].forEach(function (kind) {
    also("hotel.pbx.wakeup." + kind, roomChanged);
  });
  ["hotel.pbx.guest.checked-in", "hotel.pbx.guest.checked-out", "hotel.pbx.guest.moved",
    "hotel.edge.folio.checked-in", "hotel.edge.folio.checked-out", "console.room.changed"].forEach(function (t) {
    also(t, roomChanged);
  });
  // The day shown was closed (by another supervisor, or again): the page
  // offers a refresh rather than reloading under the reader.
  handlers["hotel.edge.day.closed"] = function (d) {
    var note = document.getElementById("dayclose-changed");
    if (note && note.dataset.day === d.day) { note.hidden = false; }
  };

  var source = new EventSource("/events");
  Object.keys(handlers).forEach(function (type) {
    source.addEventListener(type, function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      handlers[type](data || {});
    });
  });
  // Too far behind to replay: the page's data is read again.
  source.addEventListener("resync", function () { location.reload(); });
  source.onerror = function () {
    lost = true;
    if (status) { status.textContent = status.dataset.reconnecting; status.hidden = false; }
  };
  source.onopen = function () {
    if (status) { status.hidden = true; }
    document.body.dataset.live = "open";
    if (lost) {
      // Back after a drop: the stream resumes from the last event id; the
      // banner is read again, since notices are not replayed.
      lost = false;
      refreshAlarms();
      refreshBoard();
      refreshGrid();
      refreshCard();
      refreshFaxPages();
    }
  };
})();
