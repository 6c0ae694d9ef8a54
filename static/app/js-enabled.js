// GOV.UK Frontend's documented check, run before the page is drawn: its components' JavaScript
// styles apply only where ES modules run. A file, not an inline script: the Content-Security-Policy
// allows scripts from the tracker's own static files only.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
