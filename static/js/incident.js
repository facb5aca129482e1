// The incident page's script, for what only a script can do (htmx swaps in what the server renders):
// windows for the TeamViewer sign-in and the supporter link, the sign-in pop-up's report, the busy
// button, the focus, local times, and the list's pace while the tab is hidden. Its words come from
// the page (data-* on <main>), not from here. The customer-waiting alert is customer-alerts.js.
(function () {
  "use strict";

  var page = document.querySelector("[data-incident-page]");
  var message = document.getElementById("message");
  var waiting = null;  // the button whose action waits for the TeamViewer sign-in
  var listAskedAt = 0;  // when the list last asked the server (ms)

  function loginPending() { return document.getElementById("login-wait") !== null; }

  function setBusy(button, on) {
    if (on) { button.dataset.label = button.textContent; }
    button.textContent = on ? page.dataset.working : button.dataset.label;
    button.disabled = on;
    if (on) { button.setAttribute("aria-busy", "true"); } else { button.removeAttribute("aria-busy"); }
  }

  // Done: the list may have been replaced, so focus the same button there, else the message.
  function release(button) {
    setBusy(button, false);
    var focused = document.activeElement;
    if (focused && focused !== document.body && focused !== button && focused.offsetParent !== null) { return; }
    var again = document.getElementById(button.id);
    (again && again.offsetParent !== null && !again.disabled ? again : message).focus();
  }

  // Times in the browser's own zone and language (the server writes them in its own).
  function localizeTimes() {
    var style = {year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"};
    // Moments only: a duration (datetime="PT…") is already written as the agent reads it.
    document.querySelectorAll("#sessions time[datetime]:not([title]):not([datetime^=P])").forEach(function (node) {
      node.title = node.textContent;
      node.textContent = new Date(node.getAttribute("datetime")).toLocaleString(document.documentElement.lang, style);
    });
  }

  // While the tab is hidden the list asks once every data-hidden-poll-seconds instead of at each
  // of its polls: slower, but the agent still learns in the background that the customer waits.
  function hiddenPollDue(list) {
    return Date.now() - listAskedAt >= Number(list.dataset.hiddenPollSeconds || 0) * 1000;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.tagName === "FORM") {
      event.detail.xhr.button = elt.querySelector("button");
      setBusy(event.detail.xhr.button, true);
    } else if (elt.id === "sessions") {
      // No refresh under a button at work, while an address is typed in the list, or too soon unseen.
      var typing = elt.contains(document.activeElement) && document.activeElement.tagName === "INPUT";
      if (document.querySelector("[aria-busy]") || loginPending() || typing || (document.hidden && !hiddenPollDue(elt))) {
        event.preventDefault();
      } else {
        listAskedAt = Date.now();
      }
    }
  });

  // Back in view: the list (while it polls) asks at once rather than at its next turn.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { htmx.trigger(document.body, "teamviewer-page-visible"); }
  });

  // A button stays at work while the TeamViewer sign-in its answer asked for is under way.
  document.addEventListener("htmx:afterRequest", function (event) {
    var button = event.detail.xhr.button;
    var pending = loginPending();
    if (waiting && (button || !pending)) { release(waiting); waiting = null; }
    if (button && pending) { waiting = button; } else if (button) { release(button); }
  });

  // The server's error fragments say where they go (HX-Retarget): swap them like any answer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status >= 400 && event.detail.xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Any other failure of a button (no network, a proxy's error page): say so in the page's words.
  ["htmx:responseError", "htmx:sendError"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (!event.detail.xhr.button) { return; }
      var notice = document.createElement("p");
      notice.className = "notice notice-error";
      notice.textContent = name === "htmx:sendError" ? page.dataset.network : page.dataset.unexpected;
      message.replaceChildren(notice);
    });
  });

  document.addEventListener("htmx:afterSettle", localizeTimes);

  // A window the browser refused to open: the message offers its link instead.
  function showBlocked() {
    message.querySelectorAll("[data-when]").forEach(function (part) { part.hidden = part.dataset.when !== "blocked"; });
  }

  document.addEventListener("teamviewer-login", function (event) {
    // Named, and with its opener, so that its done page can report back here.
    if (!window.open(event.detail.url, "csm-teamviewer-login", "popup=yes,width=520,height=680")) { showBlocked(); }
  });

  document.addEventListener("supporter-link", function (event) {
    var win = window.open("", "_blank");
    if (!win) { showBlocked(); return; }
    win.opener = null;
    win.location.href = event.detail.url;
  });

  // The pop-up's done page posts here; only this server's own pages count. How the sign-in
  // ended is the server's to say: the waiting message (or else the list) asks it at once.
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin === window.location.origin && data && data.source === "csm-teamviewer" && data.type === "teamviewer-login") {
      htmx.trigger(document.body, "teamviewer-login-done");
    }
  });

  localizeTimes();
}());
