/* An evacuee's report from their phone (reports/report.html), with or without network.
   The report goes first to this phone's IndexedDB ("disaster-support-reports"), then to
   the server; it carries its client id, so sending it again (an answer lost on the way
   back, a second tab) records it once. The server's answers are JSON (Accept). Without
   this script the form posts as usual. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !window.indexedDB || !window.fetch || !window.Promise || !window.DOMParser) {
    return;
  }
  var O = window.DisasterOffline;  // offline.js: the connection bar (may be absent)
  var text = JSON.parse(document.getElementById("report-text").textContent);
  var status = document.getElementById("report-status");
  var errorsBox = document.getElementById("report-errors");
  var outbox = document.createElement("p");
  outbox.id = "report-outbox";
  outbox.hidden = true;
  form.parentNode.insertBefore(outbox, form);
  var flushing = false;

  // --- the outbox in IndexedDB (outbox.js; its own database: the tablets' is another)
  var store = window.DisasterOutbox && window.DisasterOutbox("disaster-support-reports");
  if (!store) return;
  var items = store.all, add = store.add, put = store.put, remove = store.remove;
  function newId() { return window.DisasterOutbox.newId("r"); }

  function input(name) { return form.querySelector("input[name=" + name + "]"); }

  function say(words, kind) {
    var changed = words && words !== status.textContent;
    status.textContent = words;
    status.className = "status " + (kind || "");
    status.hidden = !words;
    if (changed) status.scrollIntoView({block: "center"});  // the reader tapped far below
  }

  function showErrors(answer) {
    errorsBox.textContent = "";
    var heading = document.createElement("p");
    heading.textContent = answer.error || text.refused;
    var list = document.createElement("ul");
    Object.keys(answer.errors || {}).forEach(function (key) {
      var item = document.createElement("li");
      item.textContent = answer.errors[key];
      list.appendChild(item);
    });
    errorsBox.appendChild(heading);
    errorsBox.appendChild(list);
    errorsBox.hidden = false;
    errorsBox.scrollIntoView({block: "nearest"});
  }

  function values() {
    var out = {};
    new FormData(form).forEach(function (value, key) { out[key] = value; });
    return out;
  }

  // A refused report goes back into the form, to be corrected and sent again.
  function restore(fields) {
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || ["csrf_token", "challenge", "answer"].indexOf(element.name) >= 0) {
        return;
      }
      if (element.type === "radio" || element.type === "checkbox") {
        element.checked = fields[element.name] === element.value;
      } else if (element.name in fields) {
        element.value = fields[element.name];
      }
    });
  }

  // From a fresh copy of the page: the form's token, and a new question if asked.
  function fresh(question) {
    return fetch(form.getAttribute("data-page"), {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      }).then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var names = question ? ["csrf_token", "challenge"] : ["csrf_token"];
        names.forEach(function (name) {
          var theirs = page.querySelector("#report-form input[name=" + name + "]");
          if (theirs && input(name)) input(name).value = theirs.value;
        });
        var asked = page.getElementById("challenge-question");
        if (question && asked) {
          document.getElementById("challenge-question").textContent = asked.textContent;
          input("answer").value = "";
        }
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var item = {url: form.action, fields: values(), queued: new Date().toISOString()};
    add(item).then(function () {
      // a fresh form and a new id at once: a second tap cannot send this report again
      form.reset();
      input("client_id").value = newId();
      errorsBox.hidden = true;
      say(text.sending, "sending");
      return flush();
    });
  });

  // --- sending ---------------------------------------------------------------------
  function send(item) {
    return fetch(item.url, {
      method: "POST", credentials: "same-origin",
      headers: {"Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams(item.fields).toString()
    }).then(function (response) {
      if (O) O.reachable(true);
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) {
          try { localStorage.setItem("ds-last-sent", new Date().toISOString()); } catch (e) {}
          say(answer.created === false ? text.duplicate : text.sent, "sent");
          return remove(item.seq).then(function () {
            // the question just used is spent: the next report needs a new one
            return input("answer").value ? null : fresh(true).catch(function () { return null; });
          }).then(function () { return true; });
        }
        if (response.status >= 500) return false;  // the server's trouble: later
        if (answer.errors && answer.errors.csrf_token && !item.renewed) {
          // the form's token is stale (the browser was closed): a fresh page's, once
          item.renewed = true;
          return fresh(false).then(function () {
            item.fields.csrf_token = input("csrf_token").value;
            return put(item);
          }).then(function () { return send(item); });
        }
        // refused (a field, the question, a limit): back into the form, said why
        return remove(item.seq).then(function () {
          restore(item.fields);
          say("", "");
          showErrors(answer);
          return fresh(true).catch(function () { return null; });
        }).then(function () { return true; });
      });
    }, function () {
      if (O) O.reachable(false);  // no network: the report stays on this phone
      say(text.saved, "saved");
      return false;
    });
  }

  function sendAll(queue) {
    var item = queue.shift();
    if (!item) return Promise.resolve();
    return send(item).then(function (goOn) { return goOn ? sendAll(queue) : null; });
  }

  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    return items().then(sendAll).catch(function () { return null; }).then(function () {
      flushing = false;
      return render();
    });
  }

  function render() {
    return items().then(function (all) {
      outbox.textContent = "";
      outbox.hidden = !all.length;
      if (all.length) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "send-now";
        button.textContent = text.send_now;
        button.addEventListener("click", flush);
        outbox.appendChild(document.createTextNode(
          text.waiting.replace("%(num)s", String(all.length)) + " "));
        outbox.appendChild(button);
      }
      document.documentElement.setAttribute("data-report-outbox", String(all.length));
    });
  }

  window.addEventListener("online", flush);
  setInterval(function () { if (!flushing) flush(); }, 20000);
  render().then(flush);
})();
