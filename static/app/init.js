// Starts GOV.UK Frontend's components (the header menu, error summaries, buttons...). The library's
// address comes from the script element, so it keeps the hashed name collectstatic gives it.
const script = document.querySelector("script[data-govuk-frontend]");
import(script.dataset.govukFrontend).then(({ initAll }) => initAll());
