// The web application: sign-in, language, navigation between panels, and the API client.
// Each domain adds a panel module (panels/*.js) that calls registerPanel; the shell knows none
// of them by name.
import { setLang, initialLang, t, translate, onLangChange, LANGS, lang } from './i18n.js';

const panels = [];
const state = { me: null, csrf: null };

// A panel: { id, titleKey, roles (null: everyone signed in), nav (shown in the menu),
//            render(el, ctx, arg) }. Routes are #/<id>[/<arg>].
export function registerPanel(panel) { panels.push(panel); }

export function me() { return state.me; }

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : String(status));
    this.status = status;
    this.code = body && body.code;
    this.details = body && body.details;
  }
}

// JSON API call with the session cookie; writes carry the CSRF token.
export async function api(path, opts = {}) {
  const headers = { accept: 'application/json' };
  const init = { method: opts.method || 'GET', headers, credentials: 'same-origin' };
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  } else if (opts.raw !== undefined) {
    headers['content-type'] = opts.contentType || 'application/octet-stream';
    init.body = opts.raw;
  }
  if (init.method !== 'GET' && state.csrf) headers['x-csrf-token'] = state.csrf;
  const resp = await fetch(path, init);
  if (resp.status === 204) return null;
  const body = await resp.json().catch(() => null);
  if (resp.status === 401 && path !== '/api/auth/login') showLogin();
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

// Element builder: h('div', {class: 'x', onclick: f}, child, ...). String children are data
// (names, numbers already formatted), never interface text: that goes through t().
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'i18n') el.textContent = t(v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function showLogin() {
  state.me = null;
  document.getElementById('login').hidden = false;
  document.getElementById('logout').hidden = true;
  document.getElementById('whoami').textContent = '';
}

async function loadMe() {
  try {
    const m = await api('/api/auth/me');
    state.me = m.user;
    state.csrf = m.csrf_token;
    return true;
  } catch (e) {
    return false;
  }
}

function renderHeader() {
  const nav = document.getElementById('nav');
  nav.replaceChildren();
  const current = (location.hash.slice(2).split('/')[0]) || 'map';
  for (const p of visiblePanels().filter((p) => p.nav)) {
    nav.append(h('a', { href: `#/${p.id}`, i18n: p.titleKey, class: p.id === current ? 'active' : null, 'data-panel': p.id }));
  }
  const who = document.getElementById('whoami');
  who.textContent = state.me ? `${state.me.name} · ${t('role.' + state.me.role)}` : '';
  document.getElementById('logout').hidden = !state.me;
}

function visiblePanels() {
  return panels.filter((p) => state.me && (!p.roles || p.roles.includes(state.me.role)));
}

async function route() {
  if (!state.me) return;
  const [id, ...rest] = location.hash.slice(2).split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : null;
  const panel = visiblePanels().find((p) => p.id === (id || 'map')) || visiblePanels()[0];
  renderHeader();
  const el = document.getElementById('panel');
  el.replaceChildren();
  el.dataset.panel = panel.id;
  try {
    await panel.render(el, { api, h, t, me: state.me }, arg);
  } catch (e) {
    el.append(h('p', { class: 'error', role: 'alert' }, t('error.load', { message: e.message })));
  }
}

async function start() {
  await setLang(initialLang());
  const sel = document.getElementById('lang');
  for (const code of LANGS) sel.append(h('option', { value: code, i18n: `lang.${code}` }));
  sel.value = lang();
  sel.addEventListener('change', () => setLang(sel.value));
  onLangChange(() => {
    for (const o of sel.options) o.textContent = t(`lang.${o.value}`);
    renderHeader();
    route();
  });
  document.getElementById('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const err = document.getElementById('login-error');
    err.textContent = '';
    try {
      await api('/api/auth/login', { method: 'POST', body: { name: f.name.value, password: f.password.value } });
      f.password.value = '';
      await loadMe();
      document.getElementById('login').hidden = true;
      route();
    } catch (e) {
      err.textContent = t(e.code === 'rate_limited' ? 'auth.rate_limited' : 'auth.failed');
    }
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await api('/api/auth/logout', { method: 'POST' }).catch(() => null);
    state.csrf = null;
    showLogin();
    document.getElementById('panel').replaceChildren();
    document.dispatchEvent(new CustomEvent('auyl:logout'));
  });
  window.addEventListener('hashchange', route);
  await Promise.all([
    import('./panels/map.js'),
    import('./panels/settlement.js'),
    import('./panels/summary.js'),
    import('./panels/users.js'),
    import('./panels/works.js'),
    import('./panels/dashboard.js'),
    import('./panels/plans.js'),
    import('./panels/resilience.js'),
  ]);
  translate(document);
  if (await loadMe()) {
    document.getElementById('login').hidden = true;
    await route();
  } else {
    showLogin();
  }
  document.body.dataset.ready = 'true';
}

start();
