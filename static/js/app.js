// Small enhancements; every page works without them.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain-http installations have no clipboard API: fall back to a selection copy.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function announce(button, message) {
    var status = document.querySelector(".copy-status");
    if (status) { status.textContent = message; }
    var label = button.textContent;
    button.textContent = message.indexOf("Copied") === 0 ? "Copied" : label;
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  function setUpCopyButtons(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      if (button.dataset.copyReady) { return; }
      button.dataset.copyReady = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.dataset.copy);
        if (!source) { return; }
        var text = source.value !== undefined ? source.value : source.textContent;
        copyText(text).then(
          function () { announce(button, "Copied to the clipboard."); },
          function () {
            if (source.select) { source.select(); }
            announce(button, "Could not copy; the text is selected, press Ctrl+C.");
          }
        );
      });
    });
  }

  // Filter forms: leave empty fields out of the address that htmx requests and pushes.
  document.addEventListener("htmx:configRequest", function (event) {
    var data = event.detail.formData;
    if (event.detail.verb !== "get" || !data) { return; }
    var empty = [];
    data.forEach(function (value, name) { if (value === "") { empty.push(name); } });
    empty.forEach(function (name) { data.delete(name); });
  });

  // Forms that destroy something ask first (the Content Security Policy allows no
  // inline handlers, so the question rides on a data attribute).
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);

  document.addEventListener("DOMContentLoaded", function () { setUpCopyButtons(document); });
  document.addEventListener("htmx:load", function (event) { setUpCopyButtons(event.target); });
})();
