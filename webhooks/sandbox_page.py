"""The sandbox chat page: one self-contained HTML document (no CDN, no external assets).

Kept as a Python string so it ships inside the package whatever way it is installed.
The script builds every element with textContent, never innerHTML: replies are content
texts, and the page must not become an injection point if a text ever contains markup.
"""

import html

from nlu.language_table import load_table

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Haki sandbox</title>
<style>
  :root { --bg:#f4f1ea; --me:#1f6f5c; --bot:#fff; --ink:#1d1d1d; --muted:#6b6b6b; }
  * { box-sizing: border-box; }
  body { margin:0; font:16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         background:var(--bg); color:var(--ink); display:flex; flex-direction:column;
         height:100vh; }
  header { padding:.7rem 1rem; background:#123b32; color:#fff; display:flex; gap:1rem;
           align-items:center; flex-wrap:wrap; }
  header h1 { font-size:1.1rem; margin:0; }
  header small { opacity:.8; }
  header label { font-size:.85rem; }
  #log { flex:1; overflow-y:auto; padding:1rem; display:flex; flex-direction:column; gap:.6rem; }
  .msg { max-width:38rem; padding:.6rem .8rem; border-radius:.8rem; white-space:pre-wrap;
         box-shadow:0 1px 1px rgba(0,0,0,.08); }
  .me { align-self:flex-end; background:var(--me); color:#fff; }
  .bot { align-self:flex-start; background:var(--bot); }
  .options { display:flex; flex-direction:column; gap:.3rem; margin-top:.5rem; }
  .options button { text-align:left; border:1px solid #1f6f5c; background:#eef7f4;
                    color:#123b32; border-radius:.5rem; padding:.35rem .6rem; cursor:pointer;
                    font:inherit; }
  .preview { display:none; margin-top:.5rem; padding:.4rem .6rem; background:#f7f7f7;
             border-left:3px solid #c9a227; font:13px/1.4 ui-monospace, monospace; }
  body.show-sms .preview { display:block; }
  .meta { color:var(--muted); font-size:.75rem; margin-top:.3rem; }
  form { display:flex; gap:.5rem; padding:.7rem; background:#fff; border-top:1px solid #ddd; }
  input[type=text] { flex:1; padding:.6rem; font:inherit; border:1px solid #bbb;
                     border-radius:.5rem; }
  form button { padding:.6rem 1rem; font:inherit; background:#1f6f5c; color:#fff; border:0;
                border-radius:.5rem; cursor:pointer; }
</style>
</head>
<body>
<header>
  <h1>Haki sandbox</h1>
  <small>For trying the bot. What you type goes to a separate sandbox database on this
  server, never to the real one, and never reaches a responder or the figures.</small>
  <label><input type="checkbox" id="sms"> talk as SMS (preview segments)</label>
  <label>language
    <select id="lang"><option value="">auto</option>__LANGUAGE_OPTIONS__</select></label>
  <button type="button" id="reset">new person</button>
</header>
<main id="log" aria-live="polite"></main>
<form id="form">
  <input type="text" id="text" autocomplete="off" maxlength="2000"
         placeholder="Ask about your rights, or type MENU" aria-label="Message">
  <button>Send</button>
</form>
<script>
(function () {
  "use strict";
  var log = document.getElementById("log");
  var text = document.getElementById("text");
  var lang = document.getElementById("lang");
  var smsMode = document.getElementById("sms");

  function newSession() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  var session = newSession();

  function bubble(kind, body) {
    var div = document.createElement("div");
    div.className = "msg " + kind;
    div.textContent = body;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function showReply(reply) {
    var div = bubble("bot", reply.text);
    if (reply.options.length) {
      var box = document.createElement("div");
      box.className = "options";
      reply.options.forEach(function (option, index) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = (index + 1) + "  " + option.label;
        button.addEventListener("click", function () {
          bubble("me", option.label);
          send({button: option.key});
        });
        box.appendChild(button);
      });
      div.appendChild(box);
    }
    var preview = document.createElement("div");
    preview.className = "preview";
    preview.textContent = reply.sms;
    var meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = "SMS: " + reply.sms.length + " characters, " + reply.sms_segments +
      " segment(s), " + reply.sms_encoding + (reply.intent ? " - intent " + reply.intent : "");
    preview.appendChild(meta);
    div.appendChild(preview);
  }

  function send(fields) {
    var payload = Object.assign({session: session, language: lang.value || null,
                                 as: smsMode.checked ? "sms" : "web"}, fields);
    return fetch("sandbox/message", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(payload)
    }).then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.error) { bubble("bot", "(" + data.error + ")"); return; }
        if (!data.replies.length) { bubble("bot", "(no reply)"); }
        data.replies.forEach(showReply);
      })
      .catch(function () { bubble("bot", "(the server did not answer)"); });
  }

  document.getElementById("form").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = text.value.trim();
    if (!value) { return; }
    bubble("me", value);
    text.value = "";
    send({text: value});
  });
  function restart() {
    session = newSession();
    log.textContent = "";
    send({start: ""});
  }
  smsMode.addEventListener("change", function (event) {
    document.body.classList.toggle("show-sms", event.target.checked);
    restart();  // an SMS person is a different person to the core
  });
  document.getElementById("reset").addEventListener("click", restart);
  send({start: ""});
  text.focus();
}());
</script>
</body>
</html>
"""

#: The language picker lists content/common/languages.yml, in its own names.
PAGE = _TEMPLATE.replace("__LANGUAGE_OPTIONS__", "".join(
    f'<option value="{html.escape(info.code)}">{html.escape(info.own)}</option>' for info in load_table().supported))
