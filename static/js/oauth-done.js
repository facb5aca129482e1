// Tell the incident page that opened this pop-up how the login ended, then close.
(function () {
  "use strict";
  var element = document.getElementById("opener-message");
  if (!element) { return; }
  var message = JSON.parse(element.textContent);
  var opener = window.opener;
  if (opener && !opener.closed) {
    try {
      // Only the incident page on this same server may read the result.
      opener.postMessage(message, window.location.origin);
      window.setTimeout(function () { window.close(); }, 1200);
      return;
    } catch (error) { /* the opener navigated away: fall through */ }
  }
  var hint = document.getElementById("closing-hint");
  if (hint) { hint.hidden = true; }
}());
