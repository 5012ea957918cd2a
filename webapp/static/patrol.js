/* 巡查: the phone's position, if the worker allows it, into the form's hidden lat/lng/accuracy fields.
   A patrol is recorded with or without it; the page says which. No inline script (CSP): switched on by
   the form's data-geolocate attribute. */
"use strict";

function patrolGeolocation() {
  var form = document.querySelector("form[data-geolocate]");
  if (!form) { return; }
  var status = document.getElementById("geo-status");
  function say(text) { if (status) { status.textContent = text; } }
  /* Enter in a text box must not press the first button (未发现问题) by accident. */
  form.querySelectorAll("input[type=text]").forEach(function (input) {
    input.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); } });
  });
  if (!navigator.geolocation) { say("此设备不支持定位，巡查照常记录。"); return; }
  say("正在获取位置…");
  navigator.geolocation.getCurrentPosition(function (position) {
    form.querySelector("[name=lat]").value = position.coords.latitude.toFixed(6);
    form.querySelector("[name=lng]").value = position.coords.longitude.toFixed(6);
    form.querySelector("[name=accuracy]").value = Math.round(position.coords.accuracy);
    say("已获取位置（误差约" + Math.round(position.coords.accuracy) + "米）。");
  }, function () {
    say("未能获取位置，巡查照常记录。");
  }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
}

document.addEventListener("DOMContentLoaded", patrolGeolocation);
