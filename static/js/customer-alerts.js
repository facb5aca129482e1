// The customer-waiting alert, for an agent whose tab is in the background: the title counts the
// sessions whose customer is waiting, their "Join now" takes the focus, and (only once the agent
// turned alerts on, by a click) the browser shows one notification a session, with a short sound
// if the agent asked for one. The server marks the rows (data-customer-waiting, data-alert, with
// its words); the list's own polling brings them (incident.js paces it while the tab is hidden).
(function () {
  "use strict";

  var NOTIFIED = "csm-teamviewer:notified";  // sessions this browser has already notified about
  var SOUND = "csm-teamviewer:alert-sound";  // true: a short sound with each new alert
  var baseTitle = document.title;
  var alerted = {};  // sessions this page has already focused and sounded for
  var audio = null;

  function stored(key, fallback) {
    try { return JSON.parse(window.localStorage.getItem(key)) || fallback; } catch (error) { return fallback; }
  }
  function store(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (error) { /* private mode: not kept */ }
  }

  function canNotify() { return "Notification" in window; }

  // Which of the controls fits: the browser not asked yet, alerts on, or refused in its settings.
  function showControls() {
    var controls = document.getElementById("alerts");
    if (!controls) { return; }
    var permission = canNotify() ? Notification.permission : "unsupported";
    document.getElementById("alerts-on").hidden = permission !== "default";
    document.getElementById("alerts-enabled").hidden = permission !== "granted";
    document.getElementById("alerts-blocked").hidden = permission !== "denied";
    document.getElementById("alerts-sound").checked = stored(SOUND, false);
    controls.hidden = false;
  }

  // Two short tones made with WebAudio (no file to fetch). Browsers let a page play sound only
  // after a click on it: the context is made when the agent ticks the box, or else on first use.
  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!stored(SOUND, false) || !Context) { return; }
    audio = audio || new Context();
    [0, 0.2].forEach(function (start) {
      var tone = audio.createOscillator();
      var volume = audio.createGain();
      tone.frequency.value = 880;
      volume.gain.value = 0.1;
      tone.connect(volume).connect(audio.destination);
      tone.start(audio.currentTime + start);
      tone.stop(audio.currentTime + start + 0.12);
    });
  }

  function focusJoin(id) {
    var join = document.getElementById("join-" + id);
    if (join) { join.focus(); }
  }

  // Once a session in this browser, however many polls and reloads show it waiting.
  function notify(row) {
    var id = row.dataset.customerWaiting;
    var notified = stored(NOTIFIED, []);
    if (!canNotify() || Notification.permission !== "granted" || notified.indexOf(id) !== -1) { return; }
    store(NOTIFIED, notified.concat(id).slice(-50));
    try {
      var note = new Notification(row.dataset.alert, {tag: "csm-teamviewer-" + id});
      note.onclick = function () { window.focus(); focusJoin(id); note.close(); };
    } catch (error) { /* a browser that only notifies from a service worker: the title still counts */ }
  }

  function typing() {
    var active = document.activeElement;
    return active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function scan() {
    var rows = document.querySelectorAll("#sessions [data-customer-waiting]");
    document.title = rows.length ? "(" + rows.length + ") " + baseTitle : baseTitle;
    rows.forEach(function (row) {
      var id = row.dataset.customerWaiting;
      notify(row);
      if (alerted[id]) { return; }
      alerted[id] = true;
      if (!typing() && !document.querySelector("[aria-busy]")) { focusJoin(id); }
      beep();
    });
  }

  document.addEventListener("htmx:afterSettle", scan);
  document.addEventListener("htmx:oobAfterSwap", scan);

  document.addEventListener("click", function (event) {
    if (event.target.id !== "alerts-on" || !canNotify()) { return; }
    // Asked only here, on the agent's click: never on load.
    Promise.resolve(Notification.requestPermission()).then(function () { showControls(); scan(); });
  });

  document.addEventListener("change", function (event) {
    if (event.target.id !== "alerts-sound") { return; }
    store(SOUND, event.target.checked);
    if (event.target.checked) { beep(); }  // made on this click, so later alerts may sound too
  });

  showControls();
  scan();
}());
