// The incident page: buttons that call the page's JSON endpoints, the TeamViewer sign-in in a
// pop-up (the action carries on by itself once it completes), and a session list that
// refreshes itself while a session is waiting or connected. Words come from the server
// (config.texts), so this file holds no language; data comes in a json_script block (CSP).
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("incident-config").textContent);
  var texts = config.texts;
  var list = document.getElementById("sessions");
  var message = document.getElementById("message");
  var createSection = document.getElementById("create-section");
  var createForm = document.getElementById("create-form");
  var createButton = document.getElementById("create-button");
  var csrfToken = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var POPUP_NAME = "csm-teamviewer-login";
  var POLL_MS = 2000;
  var busy = 0;          // actions in flight: the list is not replaced under them by the timer
  var refreshTimer = null;
  var login = null;      // the pending TeamViewer sign-in: {flow, button, timer, deadline, done}

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : whole;
    });
  }

  // One message area (role=status): ok, info or error, with an optional link or button after it.
  function say(kind, text, extra) {
    message.className = "notice notice-" + kind;
    message.textContent = text;
    (extra || []).forEach(function (node) { message.appendChild(node); });
    message.hidden = false;
    message.scrollIntoView({block: "nearest"});
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    node.textContent = text;
    return node;
  }

  function errorText(data) {
    if (data.code === "teamviewer_rate_limited" && data.retry_after) {
      return format(texts.rateLimited, {seconds: data.retry_after});
    }
    var text = data.detail || texts.unexpected;
    var errors = data.errors || {};
    Object.keys(errors).forEach(function (field) {
      if (!document.querySelector("[data-error-for='" + field + "']")) { text += " " + errors[field].join(" "); }
    });
    return text;
  }

  // --- buttons ------------------------------------------------------------------------------

  function setBusy(button, on) {
    if (on) {
      button.dataset.label = button.textContent;
      button.textContent = texts.working;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    } else if (button.dataset.label !== undefined) {
      button.textContent = button.dataset.label;
      delete button.dataset.label;
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  function release(button) {
    busy = Math.max(0, busy - 1);
    setBusy(button, false);
    // The list may have been replaced: give focus to the same button there, else to the message.
    var again = button.id ? document.getElementById(button.id) : null;
    var target = again && !again.disabled && again.offsetParent !== null ? again : message;
    if (document.activeElement === document.body || document.activeElement === button) { target.focus(); }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {detail: texts.unexpected}; })
        .then(function (data) { return {ok: response.ok, data: data}; });
    });
  }

  // Run one action: the button shows progress until TeamViewer (and any sign-in) has answered.
  function run(button, url, body, onSuccess, onFailure) {
    busy += 1;
    setBusy(button, true);
    var waitingForLogin = false;
    return post(url, body).then(function (reply) {
      if (reply.ok) {
        onSuccess(reply.data);
      } else if (reply.data.code === "teamviewer_login_required" && reply.data.authorize_url) {
        waitingForLogin = true;
        if (onFailure) { onFailure(); }
        startLogin(reply.data, button);
        return null;
      } else {
        if (onFailure) { onFailure(); }
        say("error", errorText(reply.data));
        markFieldErrors(reply.data.errors);
      }
      return refresh(true);
    }).catch(function () {
      if (onFailure) { onFailure(); }
      say("error", texts.network);
    }).then(function () {
      if (!waitingForLogin) { release(button); }
    });
  }

  function sessionMessage(data) {
    var session = data.session || {};
    if (data.action === "close" || session.state === "closed") {
      return format(texts.closed, {code: session.code});
    }
    if (data.created === false) { return format(texts.existing, {code: session.code}); }
    if (session.email_status === "queued") {
      return format(texts.createdEmail, {code: session.code, email: session.requester_email});
    }
    return format(texts.created, {code: session.code});
  }

  // --- the create form ----------------------------------------------------------------------

  function clearFieldErrors() {
    createForm.querySelectorAll("[data-error-for]").forEach(function (span) {
      span.textContent = "";
      var input = createForm.elements[span.dataset.errorFor];
      if (input) { input.removeAttribute("aria-invalid"); }
    });
  }

  function markFieldErrors(errors) {
    Object.keys(errors || {}).forEach(function (field) {
      var span = createForm.querySelector("[data-error-for='" + field + "']");
      var input = createForm.elements[field];
      if (span) { span.textContent = errors[field].join(" "); }
      if (input && input.setAttribute) { input.setAttribute("aria-invalid", "true"); }
    });
  }

  createForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (createButton.disabled) { return; }
    clearFieldErrors();
    var fields = createForm.elements;
    var body = {
      requester_name: fields.requester_name.value.trim(),
      requester_email: fields.requester_email.value.trim(),
      description: fields.description.value.trim(),
      send_email: fields.send_email.checked,
      language: fields.language.value
    };
    run(createButton, config.createUrl, body, function (data) { say("ok", sessionMessage(data)); });
  });

  // --- the sessions' buttons ----------------------------------------------------------------

  function join(button, code) {
    // Opened now, while the click still counts, so that no pop-up blocker stops it.
    var win = window.open("", "_blank");
    run(button, button.dataset.url, {}, function (data) {
      if (win && !win.closed) {
        win.opener = null;
        win.location.href = data.supporter_link;
        say("ok", format(texts.joined, {code: code}));
      } else {
        var link = element("a", {href: data.supporter_link, target: "_blank", rel: "noopener"},
          format(texts.joinLink, {code: code}));
        say("info", texts.joinBlocked, [document.createTextNode(" "), link]);
      }
    }, function () {
      if (win && !win.closed) { win.close(); }
    });
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || button.disabled) { return; }
    var article = button.closest("article");
    var code = article.dataset.code;
    var action = button.dataset.action;
    if (action === "join") {
      join(button, code);
    } else if (action === "email") {
      var to = article.querySelector("input[name=to]");
      if (to && !to.reportValidity()) { return; }
      run(button, button.dataset.url, to ? {to: to.value.trim()} : {}, function () {
        say("ok", format(texts.emailQueued, {code: code}));
      });
    } else if (action === "close") {
      run(button, button.dataset.url, {}, function (data) { say("ok", sessionMessage({action: "close", session: data.session})); });
    }
  });

  // --- the TeamViewer sign-in ---------------------------------------------------------------

  function openLoginWindow(url) {
    var width = 520;
    var height = 680;
    var left = Math.round(window.screenX + Math.max(0, (window.outerWidth - width) / 2));
    var top = Math.round(window.screenY + Math.max(0, (window.outerHeight - height) / 3));
    var features = "popup=yes,width=" + width + ",height=" + height + ",left=" + left + ",top=" + top;
    try {
      return window.open(url, POPUP_NAME, features);
    } catch (error) {
      return null;
    }
  }

  function stopButton() {
    var button = element("button", {type: "button", "class": "link-button"}, texts.stopWaiting);
    button.addEventListener("click", function () {
      var pending = login;
      if (!pending) { return; }
      login = null;
      window.clearInterval(pending.timer);
      release(pending.button);
      say("info", texts.stopped);
    });
    return button;
  }

  // The one-time link that starts the sign-in: clicked, it opens the pop-up itself (a click
  // is allowed to), or the browser follows it into a named window that keeps its opener.
  function loginLink(url) {
    var link = element("a", {href: url, target: POPUP_NAME, rel: "opener", id: "teamviewer-login-link", "class": "login-link"}, texts.loginLink);
    link.addEventListener("click", function (event) {
      if (openLoginWindow(url)) { event.preventDefault(); }
      say("info", texts.loginWaiting, [document.createTextNode(" "), stopButton()]);
    });
    return link;
  }

  function startLogin(data, button) {
    login = {
      flow: data.login_flow,
      button: button,
      deadline: Date.now() + config.loginSeconds * 1000,
      timer: window.setInterval(pollLogin, POLL_MS)
    };
    if (openLoginWindow(data.authorize_url)) {
      say("info", texts.loginWaiting, [document.createTextNode(" "), stopButton()]);
    } else {
      say("info", texts.loginBlocked,
        [document.createTextNode(" "), loginLink(data.authorize_url), document.createTextNode(" "), stopButton()]);
    }
  }

  // The pop-up's done page posts here; only our own origin and the login we wait for count.
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== window.location.origin || !data || typeof data !== "object") { return; }
    if (data.source !== "csm-teamviewer" || data.type !== "teamviewer-login") { return; }
    if (login && data.flow === login.flow) {
      finishLogin(data.status, data.result || {});
    } else if (!login) {
      refresh(true);  // a sign-in the agent stopped waiting for finished after all: show its outcome
    }
  });

  // When the pop-up lost its link to this page (a browser's opener isolation), ask the server.
  function pollLogin() {
    var pending = login;
    if (!pending) { return; }
    if (Date.now() > pending.deadline) { finishLogin("expired", {}); return; }
    fetch(config.flowStatusUrl.replace("__flow__", encodeURIComponent(pending.flow)), {
      credentials: "same-origin", headers: {"Accept": "application/json"}
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && login === pending && ["completed", "failed", "expired"].indexOf(data.status) !== -1) {
        finishLogin(data.status, data.result || {});
      }
    }).catch(function () { /* try again on the next tick */ });
  }

  function finishLogin(status, result) {
    var pending = login;
    if (!pending) { return; }
    login = null;
    window.clearInterval(pending.timer);
    if (status === "completed" && result.ok) {
      say("ok", sessionMessage(result));
    } else if (status === "completed") {
      say("error", errorText(result));
    } else if (status === "failed") {
      say("error", result.code === "access_denied" ? texts.loginRefused : (result.detail || texts.loginFailed));
    } else {
      say("error", texts.loginExpired);
    }
    refresh(true).then(function () { release(pending.button); });
  }

  // --- the list refreshing itself -----------------------------------------------------------

  function states() {
    var found = {};
    list.querySelectorAll("article[data-state]").forEach(function (article) {
      found[article.id] = article.dataset.state;
    });
    return found;
  }

  function localizeTimes() {
    var style = {year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"};
    list.querySelectorAll("time[datetime]").forEach(function (node) {
      var when = new Date(node.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      node.title = node.textContent;
      node.textContent = when.toLocaleString(document.documentElement.lang || undefined, style);
    });
  }

  function replaceList(html) {
    var before = states();
    var focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.id : "";
    list.innerHTML = html;  // rendered (and escaped) by the server's templates
    var sessions = list.querySelector(".sessions");
    createSection.hidden = !!sessions && sessions.dataset.ownCurrent === "true";
    list.querySelectorAll("article[data-state='active']").forEach(function (article) {
      if (before[article.id] === "open" && !login) {
        say("ok", format(texts.customerConnected, {code: article.dataset.code}));
      }
    });
    if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
    localizeTimes();
  }

  function schedule() {
    window.clearTimeout(refreshTimer);
    refreshTimer = null;
    var sessions = list.querySelector(".sessions");
    if (document.hidden || !sessions || sessions.dataset.anyCurrent !== "true") { return; }
    refreshTimer = window.setTimeout(function () { refresh(false); }, config.refreshSeconds * 1000);
  }

  function typingInList() {
    var active = document.activeElement;
    return active && list.contains(active) && active.tagName === "INPUT";
  }

  function refresh(forced) {
    if (!forced && (busy > 0 || typingInList())) { schedule(); return Promise.resolve(); }
    return fetch(config.listUrl, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (response.status === 401) {
          return response.json().then(function (data) { say("error", data.detail); });
        }
        if (!response.ok) { schedule(); return null; }
        return response.text().then(function (html) { replaceList(html); schedule(); });
      })
      .catch(function () { schedule(); });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      window.clearTimeout(refreshTimer);
      refreshTimer = null;
    } else {
      refresh(false);
    }
  });

  localizeTimes();
  schedule();
}());
