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

  function charged(d) {
    prepend(table("calls"), [clock(d.start), d.room, d.extension, d["class"], d.dialed, duration(d.duration_s),
      money(d.amount, d.currency), d.late ? "late-charge" : ""]);
  }
  function flagged(d) {
    var why = (d.flags || []).join(", ");
    if (!d.posted && d.not_posted) { why += (why ? ": " : "") + d.not_posted; }
    var amount = d.amount && d.amount !== "0" && d.amount !== "0.00" ? money(d.amount, d.currency) : "";
    prepend(table("flagged"), [clock(d.start), d.room, d.extension, d.dialed, duration(d.duration_s), amount, why]);
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

  // A device's alert or state changed: its row on the devices page is
  // marked and the page offers a refresh (the checklist being filled in
  // is not lost to a reload).
  function deviceChanged(d) {
    var rows = document.querySelectorAll('table[data-live="devices"] tr[data-device]');
    var hit = false;
    Array.prototype.forEach.call(rows, function (row) {
      if (row.dataset.device === d.device) { row.classList.add("changed"); hit = true; }
    });
    var note = document.getElementById("devices-changed");
    if (note && (hit || rows.length === 0)) { note.hidden = false; }
  }

  var handlers = {
    "hotel.pbx.call.charged": charged,
    "hotel.pbx.call.flagged": flagged,
    "hotel.pbx.emergency.call": refreshAlarms,
    "console.emergency.acknowledged": refreshAlarms
  };
  ["pbx", "fax", "print"].forEach(function (domain) {
    handlers["hotel." + domain + ".device.alert"] = deviceChanged;
    handlers["hotel." + domain + ".state.link"] = deviceChanged;
  });
  handlers["hotel.print.state.status"] = deviceChanged;

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
  ["received", "assigned", "delivered", "archived", "destroyed"].forEach(function (t) { handlers["hotel.fax." + t] = faxRegister; });

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
    }
  };
})();
