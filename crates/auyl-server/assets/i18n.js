// Languages: every visible string comes from the dictionaries in /assets/i18n/{kk,ru,en}.json;
// numbers and dates are formatted with Intl for the chosen language. The choice is remembered.
export const LANGS = ['kk', 'ru', 'en'];
const LOCALES = { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB' };
const STORAGE_KEY = 'auyl.lang';

let dict = {};
let current = 'kk';
const listeners = [];

export function lang() { return current; }
export function locale() { return LOCALES[current]; }

// The remembered language, else the browser's if it is one of ours, else Kazakh.
export function initialLang() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (LANGS.includes(saved)) return saved;
  const nav = (navigator.language || '').slice(0, 2);
  return LANGS.includes(nav) ? nav : 'kk';
}

export async function setLang(code) {
  if (!LANGS.includes(code)) code = 'kk';
  const resp = await fetch(`/assets/i18n/${code}.json`);
  dict = await resp.json();
  current = code;
  localStorage.setItem(STORAGE_KEY, code);
  document.cookie = `auyl_lang=${code}; path=/; max-age=31536000; samesite=strict`;
  document.documentElement.lang = code;
  translate(document);
  for (const f of listeners) f(code);
}

// Called after every language change (panels re-render).
export function onLangChange(f) { listeners.push(f); }

// The text of a key, with {name} placeholders filled from vars.
export function t(key, vars) {
  let s = dict[key];
  if (s === undefined) {
    console.error('auyl.missing_key', key);
    return key;
  }
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

// Whether the dictionary has a key (for texts that come from the server, like planner stages).
export function has(key) { return dict[key] !== undefined; }

// Fills data-i18n (text), data-i18n-placeholder, data-i18n-title and data-i18n-aria-label.
export function translate(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  if (root === document) document.title = t('app.title');
}

export function fmtNumber(n, opts) {
  if (n === null || n === undefined) return t('common.none');
  return new Intl.NumberFormat(locale(), opts).format(n);
}

export function fmtDate(unixS) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(unixS * 1000));
}

// A day given as YYYY-MM-DD, in the chosen language.
export function fmtDay(d) {
  if (!d) return t('common.none');
  const [y, m, day] = d.split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, day)));
}

// A name object {kk, ru, en, local} in the chosen language, falling back to any other.
export function pickName(names) {
  if (!names) return '';
  return names[current] || names.local || names.kk || names.ru || names.en || '';
}
