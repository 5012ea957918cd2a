/* Firegrid page scripts. The Content-Security-Policy allows no inline script: every behaviour a page
   needs lives here and is switched on by the page's markup (ids and data- attributes). */
"use strict";

/* 责任书: generation progress of a campaign's job, polled while it runs (letters/_progress.html). */
function pollJobProgress() {
  var box = document.getElementById("job-progress");
  if (!box || box.dataset.status === "done" || box.dataset.status === "failed") { return; }
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (p) {
      box.querySelector("progress").value = p.percent;
      ["done", "total", "percent"].forEach(function (k) { box.querySelector('[data-field="' + k + '"]').textContent = p[k]; });
      box.querySelector('[data-field="label"]').textContent = p.status_label;
      if (p.status === "done") { window.location.reload(); } else if (p.status !== "failed") { setTimeout(poll, 2000); }
    }).catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1500);
}

/* 归档: while a package is generated in the background, refresh the page so its progress and outcome show. */
function refreshRunningExports() {
  var table = document.getElementById("exports");
  if (table && table.dataset.running) { setTimeout(function () { window.location.reload(); }, 5000); }
}

/* 隐患: 整改期限 follows 隐患程度 while the clerk has not typed a deadline of their own. */
function deadlineFollowsSeverity() {
  var severity = document.getElementById("severity"), deadline = document.getElementById("deadline"),
      proposed = document.getElementById("proposed_deadline");
  if (!severity || !deadline || !proposed || !deadline.dataset.bySeverity) { return; }
  var bySeverity = JSON.parse(deadline.dataset.bySeverity);
  severity.addEventListener("change", function () {
    if (!deadline.value || deadline.value === proposed.value) { deadline.value = bySeverity[severity.value]; }
    proposed.value = bySeverity[severity.value];
  });
}

/* 文件预览: grow each frame to its content so the page, not the frame, scrolls. */
function fitPreviewFrames() {
  document.querySelectorAll("iframe.doc-frame").forEach(function (frame) {
    function fit() {
      var doc = frame.contentDocument;
      /* the root element's own box, not scrollHeight, which never drops below the frame's current height */
      if (doc && doc.body) { frame.style.height = Math.ceil(doc.documentElement.getBoundingClientRect().height) + "px"; }
    }
    frame.addEventListener("load", function () {
      fit();
      frame.contentDocument.querySelectorAll("img").forEach(function (img) { img.addEventListener("load", fit); });
    });
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") { fit(); }
    window.addEventListener("resize", fit);
  });
}

/* A form with data-confirm asks before it is sent (e.g. 删除网格). */
function confirmBeforeSubmit() {
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
}

/* A table wider than the screen scrolls inside its wrapper; a keyboard user must be able to reach it
   (focus it, then scroll with the arrow keys), so an overflowing wrapper joins the tab order. */
function focusableScrollers() {
  function update() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) { box.tabIndex = 0; } else { box.removeAttribute("tabindex"); }
    });
  }
  update();
  window.addEventListener("resize", update);
}

/* 常用意见: a tap on a phrase fills the opinion field (appends when something is typed already); the list
   below stays for pages without JavaScript, so with it the buttons replace the list. */
function opinionPhraseButtons() {
  document.querySelectorAll(".opinion-phrases").forEach(function (box) {
    var target = document.getElementById(box.dataset.opinionTarget), buttons = box.querySelector(".phrase-buttons"),
        list = box.querySelector("select");
    if (!target || !buttons) { return; }
    buttons.hidden = false;
    if (list) { list.hidden = true; list.disabled = true; box.querySelector("label").hidden = true; }
    buttons.addEventListener("click", function (event) {
      var phrase = event.target.dataset && event.target.dataset.phrase;
      if (!phrase) { return; }
      var current = target.value.trim();
      target.value = current && current.indexOf(phrase) === -1 ? current + phrase : (current || phrase);
      target.focus();
    });
  });
}

/* 统计报表: each [data-chart] holds its ECharts option as JSON; the page loads vendor/echarts (no CDN). */
function drawCharts() {
  if (!window.echarts) { return; }
  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var chart = window.echarts.init(box);
    chart.setOption(JSON.parse(box.dataset.chart));
    window.addEventListener("resize", function () { chart.resize(); });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  opinionPhraseButtons();
  pollJobProgress();
  refreshRunningExports();
  deadlineFollowsSeverity();
  fitPreviewFrames();
  confirmBeforeSubmit();
  focusableScrollers();
  drawCharts();
});
