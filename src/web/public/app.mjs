// spoc's one script: start the GOV.UK and MOJ components, then the few enhancements
// below. Every page works without it.
import { initAll } from '/assets/govuk/govuk-frontend.min.js';
import { initAll as initMoj } from '/assets/moj/moj-frontend.min.js';

initAll();
initMoj();

// The DASH checklist's live yes-count and level (without JavaScript it appears after submit).
const checklist = document.querySelector('[data-dash-checklist]');
if (checklist) {
  const count = document.querySelector('[data-yes-count]');
  const level = document.querySelector('[data-yes-level]');
  const high = Number(checklist.dataset.high);
  const medium = Number(checklist.dataset.medium);
  const update = () => {
    const yes = checklist.querySelectorAll('input[type=radio][value=yes]:checked').length;
    const answered = checklist.querySelectorAll('input[type=radio]:checked').length;
    count.textContent = `${yes} yes of ${answered} answered`;
    level.textContent = yes >= high ? 'high (from the count alone)' : yes >= medium ? 'medium (from the count alone)' : 'standard (from the count alone)';
  };
  checklist.addEventListener('change', update);
  update();
}

// The idle warning: two minutes before the session ends; "stay signed in" renews it.
const warning = document.getElementById('idle-warning');
if (warning) {
  const idleMs = Number(warning.dataset.idleMinutes) * 60_000;
  let timer;
  const arm = () => {
    clearTimeout(timer);
    warning.hidden = true;
    timer = setTimeout(() => {
      warning.hidden = false;
      warning.querySelector('button').focus();
    }, Math.max(idleMs - 2 * 60_000, 10_000));
  };
  warning.querySelector('[data-stay-signed-in]').addEventListener('click', async () => {
    await fetch('/session/keep-alive', { method: 'POST', headers: { 'csrf-token': document.querySelector('input[name=_csrf]')?.value ?? '' } });
    arm();
  });
  arm();
}

// A checklist half-answered survives a reload or a dropped connection: answers are kept in
// this tab's sessionStorage until the form is saved (the server keeps everything saved).
for (const form of document.querySelectorAll('form[data-keep-draft]')) {
  const key = `spoc-draft:${location.pathname}`;
  const radios = () => [...form.querySelectorAll('input[type=radio]')];
  try {
    const saved = JSON.parse(sessionStorage.getItem(key) ?? '{}');
    for (const input of radios()) {
      const group = form.querySelectorAll(`input[type=radio][name="${CSS.escape(input.name)}"]:checked`);
      if (group.length === 0 && saved[input.name] === input.value) input.checked = true;
    }
    radios()[0]?.dispatchEvent(new Event('change', { bubbles: true }));
  } catch {
    sessionStorage.removeItem(key);
  }
  form.addEventListener('change', () => {
    const answers = Object.fromEntries(radios().filter((i) => i.checked).map((i) => [i.name, i.value]));
    sessionStorage.setItem(key, JSON.stringify(answers));
  });
  form.addEventListener('submit', () => sessionStorage.removeItem(key));
}

// The screen-pop: on the live-calls page, a call this handler answers opens its contact screen.
if (document.querySelector('[data-live-poll]')) {
  const poll = async () => {
    try {
      const response = await fetch('/calls/live/poll', { headers: { accept: 'application/json' } });
      if (response.ok) {
        const { contactUrl } = await response.json();
        if (contactUrl) return window.location.assign(contactUrl);
      }
    } catch {
      // A dropped connection: try again at the next tick.
    }
    setTimeout(poll, 3000);
  };
  setTimeout(poll, 1000);
}

// The printable safety plan's Print button (without JavaScript the page says how to print).
for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}

// The lawful basis for sharing is asked only when the person has not agreed (or was not
// asked). Without JavaScript it is always shown, and its label says when it applies.
for (const group of document.querySelectorAll('[data-unless-consent-given]')) {
  const form = group.closest('form');
  const update = () => {
    const chosen = form.querySelector('input[name="consent"]:checked');
    group.hidden = !chosen || chosen.value === 'given';
  };
  form.addEventListener('change', update);
  update();
}
