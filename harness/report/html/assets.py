"""The stylesheet and script inlined into every page.

Inline because a report must open from a CI artifact, an e-mail attachment or
a laptop offline: no fonts, no CDN, nothing fetched. The script only adds the
filter box; without it every case is still shown and readable.
"""

from __future__ import annotations

STYLE = """
:root {
  --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0;
  --passed: #1a7f37; --passed-bg: #dafbe1;
  --failed: #cf222e; --failed-bg: #ffebe9;
  --error: #8250df; --error-bg: #fbefff;
  --skipped: #9a6700; --skipped-bg: #fff8c5;
  --none-bg: #f6f8fa; --client: #0550ae; --server: #1f2328; --comment: #6e7781;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #161b22; --line: #3d444d;
    --passed: #3fb950; --passed-bg: #12361f; --failed: #ff7b72; --failed-bg: #4a1619;
    --error: #d2a8ff; --error-bg: #35204f; --skipped: #d29922; --skipped-bg: #3b2e0a;
    --none-bg: #161b22; --client: #79c0ff; --server: #e6edf3; --comment: #8b949e;
  }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: var(--fg); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 0 20px 48px; }
h1 { font-size: 24px; margin: 0; }
h2 { font-size: 19px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
a { color: var(--client); }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
      overflow: auto; max-height: 480px; margin: 4px 0; white-space: pre; }
.top { padding: 22px 0 18px; border-bottom: 4px solid var(--line); background: var(--panel); }
.top .inner { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
.top.outcome-passed { border-color: var(--passed); }
.top.outcome-failed { border-color: var(--failed); }
.outcome { margin: 6px 0 0; font-size: 16px; }
.outcome strong { padding: 1px 8px; border-radius: 4px; color: #fff; }
.outcome-passed .outcome strong { background: var(--passed); }
.outcome-failed .outcome strong { background: var(--failed); }
.muted { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0 8px; }
.card { min-width: 130px; padding: 10px 16px; border-radius: 8px; border: 1px solid var(--line);
        background: var(--panel); }
.card .n { font-size: 28px; font-weight: 650; display: block; line-height: 1.2; }
.card.v-passed { background: var(--passed-bg); } .card.v-passed .n { color: var(--passed); }
.card.v-failed { background: var(--failed-bg); } .card.v-failed .n { color: var(--failed); }
.card.v-error { background: var(--error-bg); } .card.v-error .n { color: var(--error); }
.card.v-skipped { background: var(--skipped-bg); } .card.v-skipped .n { color: var(--skipped); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 8px 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.cell-passed { background: var(--passed-bg); } .cell-failed { background: var(--failed-bg); }
.cell-error { background: var(--error-bg); } .cell-skipped { background: var(--skipped-bg); }
.cell-none { background: var(--none-bg); color: var(--muted); text-align: center; }
.matrix td a { color: inherit; text-decoration: none; display: block; }
.matrix td a:hover, .matrix td a:focus { text-decoration: underline; }
.badge { display: inline-block; min-width: 62px; text-align: center; padding: 0 6px; border-radius: 4px;
         font-size: 12px; font-weight: 650; text-transform: uppercase; color: #fff; }
.badge.v-passed { background: var(--passed); } .badge.v-failed { background: var(--failed); }
.badge.v-error { background: var(--error); } .badge.v-skipped { background: var(--skipped); }
.badge.v-absent { background: var(--muted); }
.level { display: inline-block; min-width: 86px; font-size: 12px; font-weight: 600; color: var(--muted); }
.chart { max-width: 100%; height: auto; display: block; margin: 6px 0 14px; }
.chart text { font: 12px system-ui, sans-serif; fill: var(--fg); }
.chart .chart-inside { fill: #fff; font-weight: 600; }
.bar-passed { fill: var(--passed); } .bar-failed { fill: var(--failed); }
.bar-error { fill: var(--error); } .bar-skipped { fill: var(--skipped); } .bar { fill: var(--client); }
.filter { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 8px 0 12px;
          padding: 8px 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
.filter input[type=search] { font: inherit; padding: 4px 8px; min-width: 320px; border: 1px solid var(--line);
                             border-radius: 4px; background: var(--bg); color: var(--fg); }
details.case { border: 1px solid var(--line); border-left-width: 5px; border-radius: 6px; margin: 6px 0;
               background: var(--bg); }
details.case.v-passed { border-left-color: var(--passed); }
details.case.v-failed { border-left-color: var(--failed); }
details.case.v-error { border-left-color: var(--error); }
details.case.v-skipped { border-left-color: var(--skipped); }
details.case > summary { cursor: pointer; padding: 6px 10px; display: flex; flex-wrap: wrap;
                         gap: 4px 10px; align-items: baseline; }
details.case > summary .case-id { font-weight: 600; }
details.case > summary .where { color: var(--muted); font-size: 13px; }
details.case > summary .duration { margin-left: auto; color: var(--muted); font-size: 13px;
                                   font-variant-numeric: tabular-nums; }
.case-body { padding: 2px 14px 10px; border-top: 1px solid var(--line); }
.reason { margin: 8px 0; font-weight: 500; overflow-wrap: anywhere; }
.diff { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.diff > div { min-width: 0; }
.diff h3 { margin: 8px 0 2px; }
.diff .expected pre { border-left: 3px solid var(--passed); }
.diff .received pre { border-left: 3px solid var(--failed); }
.transcript > summary { cursor: pointer; color: var(--muted); margin: 8px 0 2px; }
.t-c { color: var(--client); } .t-s { color: var(--server); }
.t-note { color: var(--comment); font-style: italic; }
.capture-incomplete { color: var(--failed); font-weight: 600; }
.capture-complete { color: var(--passed); }
.warnings { border: 1px solid var(--skipped); background: var(--skipped-bg); border-radius: 6px;
            padding: 8px 14px 8px 34px; }
.warnings li { margin: 2px 0; }
.regression { color: var(--failed); font-weight: 600; } .fix { color: var(--passed); font-weight: 600; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
:focus-visible { outline: 2px solid var(--client); outline-offset: 2px; }
@media (max-width: 760px) { .diff { grid-template-columns: 1fr; }
  .filter input[type=search] { min-width: 0; width: 100%; } }
@media print { details.case { break-inside: avoid; } .filter { display: none; } }
"""

# Words with a colon (``protocol:smtp``, ``level:must``) must equal one of a
# case's tags, so ``level:must`` does not also select MUST NOT cases; other
# words match anywhere in the case's id, title, reference and reason.
SCRIPT = """
(function () {
  "use strict";
  var form = document.getElementById("filter");
  if (!form) { return; }
  var box = form.querySelector("input[type=search]");
  var toggles = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]"));
  var count = document.getElementById("filter-count");
  var cases = Array.prototype.slice.call(document.querySelectorAll("[data-case]"));
  function matches(el, words, allowed) {
    if (!allowed[el.getAttribute("data-verdict")]) { return false; }
    var text = el.getAttribute("data-text");
    var tags = el.getAttribute("data-tags").split(" ");
    return words.every(function (word) {
      return word.indexOf(":") > 0 ? tags.indexOf(word) >= 0 : text.indexOf(word) >= 0;
    });
  }
  function apply() {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var allowed = {};
    toggles.forEach(function (t) { allowed[t.value] = t.checked; });
    var shown = 0;
    cases.forEach(function (el) {
      var ok = matches(el, words, allowed);
      el.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + cases.length + " cases shown";
  }
  box.addEventListener("input", apply);
  toggles.forEach(function (t) { t.addEventListener("change", apply); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter]"), function (link) {
    link.addEventListener("click", function () {
      box.value = link.getAttribute("data-filter");
      toggles.forEach(function (t) { t.checked = true; });
      apply();
    });
  });
  // index.html#q=protocol:imap%20level:must opens the page filtered: links from CI can point there.
  function fromHash() {
    var hash = location.hash.slice(1);
    if (hash.indexOf("q=") !== 0) { return; }
    try { box.value = decodeURIComponent(hash.slice(2)); } catch (e) { box.value = hash.slice(2); }
  }
  window.addEventListener("hashchange", function () { fromHash(); apply(); });
  form.hidden = false;
  fromHash();
  apply();
})();
"""
