// The cockpit: a Telegram Mini App. Signs in with the initData Telegram gives the page, then
// shows the squad's views (views.js) over the REST API (api.js).
import { Api } from './api.js';
import { views, openTask } from './views.js';

const api = new Api();
const tg = await telegram();
const state = { view: 'today', stack: [], feed: null };

// Telegram's object, loading telegram-web-app.js from telegram.org when the page has none yet
// (a test gives the page its own before it loads).
async function telegram() {
  if (!(window.Telegram && window.Telegram.WebApp)) {
    await new Promise((resolve) => {
      const script = document.createElement('script');
      script.src = 'https://telegram.org/js/telegram-web-app.js';
      script.onload = resolve;
      script.onerror = resolve;
      document.head.append(script);
    });
  }
  return window.Telegram && window.Telegram.WebApp;
}

// Telegram's colours as CSS variables (--tg-theme-bg-color, …), which style.css uses.
function applyTheme(theme) {
  for (const [key, value] of Object.entries(theme || {})) {
    document.documentElement.style.setProperty(`--tg-theme-${key.replaceAll('_', '-')}`, value);
  }
}

export function toast(message) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

export function haptic(kind) {
  const feedback = tg && tg.HapticFeedback;
  if (!feedback) return;
  if (kind === 'success' || kind === 'error' || kind === 'warning') feedback.notificationOccurred(kind);
  else feedback.impactOccurred(kind || 'light');
}

// What every view gets: the API, the operator and its rights, and the navigation.
const ctx = {
  api,
  toast,
  haptic,
  // Holds (or gives back) Telegram's swipe down to close the Mini App, while a finger drags.
  holdSwipes(hold) {
    const method = hold ? 'disableVerticalSwipes' : 'enableVerticalSwipes';
    if (tg && typeof tg[method] === 'function') tg[method]();
  },
  can(right) {
    const role = api.operator ? api.operator.role : 'viewer';
    const rank = { viewer: 0, operator: 1, cao: 2 }[role];
    return rank >= { read: 0, operate: 1, decide: 2 }[right];
  },
  // Opens a sub-view (a task): Telegram's BackButton goes back.
  push(render) {
    state.stack.push(render);
    tg && tg.BackButton && tg.BackButton.show();
    return render(main());
  },
  refresh() { return show(state.view); },
};

function main() {
  const el = document.getElementById('view');
  el.replaceChildren();
  return el;
}

async function show(name) {
  state.view = name;
  state.stack = [];
  tg && tg.BackButton && tg.BackButton.hide();
  if (state.feed) { state.feed.close(); state.feed = null; }
  for (const tab of document.querySelectorAll('#tabs button')) {
    tab.setAttribute('aria-selected', String(tab.dataset.view === name));
  }
  document.body.dataset.view = name;
  const el = main();
  try {
    const cleanup = await views[name](ctx, el);
    if (cleanup) state.feed = cleanup;
  } catch (error) {
    el.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: error.message }));
  }
}

function back() {
  state.stack.pop();
  const previous = state.stack[state.stack.length - 1];
  if (previous) return previous(main());
  return show(state.view);
}

async function start() {
  if (tg) {
    tg.ready && tg.ready();
    tg.expand && tg.expand();
    applyTheme(tg.themeParams);
    tg.BackButton && tg.BackButton.onClick(back);
  }
  const initData = tg ? tg.initData : '';
  let session;
  try {
    session = await api.signIn(initData);
  } catch (error) {
    document.body.dataset.signin = 'refused';
    main().append(Object.assign(document.createElement('p'), { id: 'signin-error', textContent: `Cannot sign in: ${error.message}` }));
    return;
  }
  document.body.dataset.signin = 'ok';
  document.getElementById('who').textContent = `${session.operator.name} · ${session.operator.role}`;
  // Renewed while the app is open (the session lasts 15 minutes); once it has ended (the phone
  // slept), signed in again with the same initData while Telegram's signature is fresh enough.
  setInterval(() => api.renew().catch(() => api.signIn(initData).catch((e) => toast(`Session: ${e.message}`))), 10 * 60 * 1000);

  const projects = await api.get('/api/projects');
  const select = document.getElementById('project');
  for (const project of projects.items || projects) {
    select.append(new Option(project.name || project.slug, project.slug));
  }
  api.project = select.value || null;
  select.addEventListener('change', () => { api.project = select.value; show(state.view); });
  for (const tab of document.querySelectorAll('#tabs button')) {
    tab.addEventListener('click', () => show(tab.dataset.view));
  }
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.stack.length) back();
  });

  // A t.me/<bot>/<app>?startapp=… link opens its view.
  const start = session.startParam || '';
  if (start.startsWith('task_')) {
    await show('board');
    await openTask(ctx, Number(start.slice(5)));
  } else if (start.startsWith('approval_')) {
    await show('approvals');
    const card = document.querySelector(`[data-approval-code="${CSS.escape(start.slice(9))}"]`);
    if (card) { card.scrollIntoView(); card.focus(); }
  } else {
    await show('today');
  }
}

start();
