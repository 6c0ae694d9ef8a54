// Smoother than the no-JavaScript refresh on an import's status page: move the bar as the rows are
// done, and reload the page (for the preview or the result) as soon as the status changes.
// (Setting element.style from a script is allowed by the Content-Security-Policy; style="" is not.)
(function () {
  var box = document.querySelector("[data-import-progress]");
  if (!box || !window.fetch) { return; }
  var fill = box.querySelector("[data-progress-fill]");
  var bar = box.querySelector("[role=progressbar]");
  var text = box.querySelector("[data-progress-text]");
  var status = box.getAttribute("data-status");
  function poll() {
    fetch(box.getAttribute("data-progress-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (data) {
        if (data.status !== status) { window.location.reload(); return; }
        fill.style.width = data.percent + "%";
        bar.setAttribute("aria-valuenow", data.percent);
        if (text.textContent !== data.text) { text.textContent = data.text; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(function () { window.location.reload(); }, 3000); });
  }
  window.setTimeout(poll, 500);
})();
