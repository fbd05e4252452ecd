// The public pages' one script: GOV.UK Frontend's components (Exit this page, with its
// Shift ×3 shortcut). The exit button replaces this page in the history where it can, so
// Back does not return to the answers. Everything works without it.
import { initAll } from '/assets/govuk/govuk-frontend.min.js';

document.addEventListener(
  'click',
  (event) => {
    const exit = event.target instanceof Element ? event.target.closest('.govuk-exit-this-page__button') : null;
    if (!exit) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    window.location.replace(exit.getAttribute('href'));
  },
  true,
);
initAll();
