// "Stack these": start a SODA async stack of the searched position, follow its progress
// (UWS job document, jobInfo progress), then show its frames as a blink view.
(function () {
  var panel = document.getElementById("stack");
  if (!panel) return;
  var UWS = "http://www.ivoa.net/xml/UWS/v1.0";
  var start = document.getElementById("stack-start");
  var bar = document.getElementById("stack-progress");
  var status = document.getElementById("stack-status");
  var view = document.getElementById("blink");
  var image = document.getElementById("blink-frame");
  var caption = document.getElementById("blink-caption");
  var play = document.getElementById("blink-play");
  var job = "", frames = [], current = 0, timer = null;

  function say(text) { status.textContent = text; }
  function first(doc, name) {
    var node = doc.getElementsByTagNameNS(UWS, name)[0];
    return node ? node.textContent.trim() : "";
  }
  function failed(response) {
    return response.text().then(function (text) { throw new Error(text.trim()); });
  }

  function follow(doc) {
    var phase = first(doc, "phase");
    var progress = doc.getElementsByTagNameNS("*", "progress")[0];
    var done = progress ? +progress.getAttribute("done") : 0;
    var total = progress ? +progress.getAttribute("total") : 0;
    bar.hidden = false; bar.max = Math.max(total, 1); bar.value = done;
    say(phase + ": " + done + " of " + total + " exposures");
    if (phase === "COMPLETED") return show();
    if (phase === "ERROR" || phase === "ABORTED") {
      say(phase + ": " + (first(doc, "message") || "the stack stopped"));
      start.disabled = false;
      return null;
    }
    return new Promise(function (resolve) { setTimeout(resolve, 500); })
      .then(function () { return fetch(job); })
      .then(function (r) { return r.ok ? r.text() : failed(r); })
      .then(function (text) { return follow(new DOMParser().parseFromString(text, "application/xml")); });
  }

  function show() {
    return fetch(job + "/results/index.json").then(function (r) { return r.ok ? r.json() : failed(r); })
      .then(function (index) {
        frames = index.frames.filter(function (f) { return f.status === "ok"; });
        var downloads = document.getElementById("stack-downloads");
        downloads.textContent = "";
        Object.keys(index.products).forEach(function (name) {
          var a = document.createElement("a");
          a.href = job + "/results/" + name; a.textContent = name; a.className = "product";
          downloads.appendChild(a);
        });
        var missing = index.frames.length - frames.length;
        say("COMPLETED: " + frames.length + " frames" + (missing ? ", " + missing + " exposures without one" : ""));
        view.hidden = frames.length === 0;
        start.disabled = false;
        if (frames.length) step(0);
      });
  }

  function step(to) {
    current = (to + frames.length) % frames.length;
    var f = frames[current];
    image.src = job + "/results/" + f.png;
    image.alt = f.obs_id;
    caption.textContent = f.date_obs + "  " + f.obs_id + "  (" + (current + 1) + " / " + frames.length + ")";
    document.getElementById("blink-fits").href = job + "/results/" + f.fits;
    document.getElementById("blink-datalink").href = "/datalink/links?ID=" + encodeURIComponent(f.publisher_did);
  }

  function toggle() {
    if (timer) { clearInterval(timer); timer = null; play.textContent = "Play"; return; }
    timer = setInterval(function () { step(current + 1); }, 600);
    play.textContent = "Pause";
  }

  start.addEventListener("click", function () {
    start.disabled = true;
    view.hidden = true;
    say("starting...");
    var body = new URLSearchParams({ POS: panel.dataset.pos, PHASE: "RUN" });
    if (panel.dataset.time) body.append("TIME", panel.dataset.time);
    fetch(panel.dataset.async, { method: "POST", body: body })
      .then(function (r) { if (!r.ok) return failed(r); job = r.url; return r.text(); })
      .then(function (text) { return follow(new DOMParser().parseFromString(text, "application/xml")); })
      .catch(function (error) { say(error.message); start.disabled = false; });
  });
  document.getElementById("blink-prev").addEventListener("click", function () { step(current - 1); });
  document.getElementById("blink-next").addEventListener("click", function () { step(current + 1); });
  play.addEventListener("click", toggle);
  document.addEventListener("keydown", function (event) {
    if (view.hidden || /INPUT|TEXTAREA/.test(event.target.tagName)) return;
    if (event.key === "ArrowLeft") { step(current - 1); event.preventDefault(); }
    else if (event.key === "ArrowRight") { step(current + 1); event.preventDefault(); }
    else if (event.key === " ") { toggle(); event.preventDefault(); }
  });
})();
