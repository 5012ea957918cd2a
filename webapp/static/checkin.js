/* Check-in location (签到位置): a form with hidden inputs marked data-checkin="latitude|longitude|accuracy"
   gets them filled from the browser's location, and a line saying what happened. Browsers give a location
   only to pages served over HTTPS (or localhost) and only when the user allows it; without one the form is
   sent all the same and the record simply has no location. No inline script (the CSP forbids it). */
"use strict";

function fillCheckinLocation() {
  var latitude = document.querySelector('input[data-checkin="latitude"]');
  var longitude = document.querySelector('input[data-checkin="longitude"]');
  var accuracy = document.querySelector('input[data-checkin="accuracy"]');
  if (!latitude || !longitude) { return; }
  var status = document.createElement("p");
  status.className = "hint checkin-status";
  status.setAttribute("role", "status");
  latitude.parentNode.insertBefore(status, latitude);
  function say(text) { status.textContent = text; }
  if (latitude.value && longitude.value) { say("已记录签到位置。"); return; }
  if (!window.isSecureContext || !navigator.geolocation) {
    say("未获取签到位置：浏览器只在 HTTPS 访问时提供定位（请联系管理员启用 HTTPS）。");
    return;
  }
  say("正在获取签到位置……");
  navigator.geolocation.getCurrentPosition(function (position) {
    latitude.value = position.coords.latitude.toFixed(6);
    longitude.value = position.coords.longitude.toFixed(6);
    if (accuracy) { accuracy.value = Math.round(position.coords.accuracy); }
    say("已获取签到位置（精度约 " + Math.round(position.coords.accuracy) + " 米）。");
  }, function (error) {
    say(error.code === 1 ? "未获取签到位置：定位权限被拒绝，可在浏览器设置中允许后刷新页面。"
                         : "未获取签到位置：暂时无法定位，可照常提交。");
  }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 60000});
}

document.addEventListener("DOMContentLoaded", fillCheckinLocation);
