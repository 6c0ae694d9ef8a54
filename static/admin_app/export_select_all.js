// The admin export page's "Select all" box, bound here instead of by an onchange="" attribute
// (the Content-Security-Policy runs no inline handler). onSelectToggleChange is
// django-import-export's own function (import_export/export_selectable_fields.js).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input.select-toggle").forEach(function (box) {
    box.addEventListener("change", onSelectToggleChange);
  });
});
