// Dashboards: KPIs of the caller's scope (connected settlements and people against the target,
// works by status, burn-up with the forecast, the by-region table), the weekly report, and the
// "waiting on you" list of akimats and operators.
import { registerPanel, h, me } from '../app.js';
import { t, fmtNumber, fmtDay, lang } from '../i18n.js';
import { ensureMap, regionsFC } from './map.js';
import { STATUSES } from './works.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

// Planned and connected settlements by week, with the forecast band at the end.
function burnUp(points, forecast) {
  const w = 560, hgt = 200, pad = 34;
  if (!points.length) return h('p', { class: 'muted', i18n: 'dash.no_history' });
  const max = Math.max(1, ...points.map((p) => Math.max(p.planned, p.connected)));
  const x = (i) => pad + (i * (w - 2 * pad)) / Math.max(1, points.length - 1);
  const y = (v) => hgt - pad + 10 - (v * (hgt - pad - 10)) / max;
  const line = (key) => points.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join('');
  const chart = svg('svg', { viewBox: `0 0 ${w} ${hgt}`, class: 'chart', 'data-testid': 'burn-up', role: 'img' },
    svg('line', { x1: pad, y1: y(0), x2: w - pad, y2: y(0), stroke: '#999' }),
    svg('path', { d: line('planned'), fill: 'none', stroke: '#7b8b96', 'stroke-dasharray': '4 3', 'stroke-width': 2 }),
    svg('path', { d: line('connected'), fill: 'none', stroke: '#0b6e99', 'stroke-width': 2.5 }),
    svg('text', { x: pad, y: 12, 'font-size': 11 }, fmtNumber(max)),
    svg('text', { x: pad, y: hgt - 4, 'font-size': 11 }, fmtDay(points[0].week_end)),
    svg('text', { x: w - pad, y: hgt - 4, 'font-size': 11, 'text-anchor': 'end' }, fmtDay(points[points.length - 1].week_end)));
  chart.setAttribute('aria-label', t('dash.burn_up'));
  const legend = h('div', { class: 'legend-row' },
    h('div', {}, h('span', { class: 'dot', style: 'background:#7b8b96' }), t('dash.planned_line')),
    h('div', {}, h('span', { class: 'dot', style: 'background:#0b6e99' }), t('dash.connected_line')));
  const band = forecast ? h('p', { 'data-testid': 'forecast' }, t('dash.forecast', {
    p10: fmtDay(forecast.forecast.p10), p50: fmtDay(forecast.forecast.p50), p90: fmtDay(forecast.forecast.p90),
    outlook: t(`outlook.${forecast.outlook}`),
  })) : null;
  return h('div', {}, chart, legend, band);
}

function pct(a, b) {
  return b ? fmtNumber(a / b, { style: 'percent', maximumFractionDigits: 0 }) : t('common.none');
}

async function render(el, ctx) {
  const user = me();
  const dateInput = h('input', { type: 'date', name: 'date', 'data-testid': 'dash-date' });
  const body = h('div', {});
  const [regs] = await Promise.all([regionsFC(), ensureMap()]);
  const names = new Map(regs.features.map((f) => [f.properties.code, f.properties[`name_${lang()}`]]));
  const load = async () => {
    const q = dateInput.value ? `?date=${dateInput.value}` : '';
    const d = await ctx.api(`/api/tracking/kpis${q}`);
    if (!dateInput.value) dateInput.value = d.as_of;
    const k = d.kpis;
    const outlook = new Map(d.outlooks.map((o) => [o.region_code, o]));
    const tot = k.total;
    const regionRows = Object.entries(k.by_region).map(([code, p]) => h('tr', { 'data-region': code },
      h('td', {}, names.get(code) || code),
      h('td', { class: 'num' }, fmtNumber(p.settlements_planned)),
      h('td', { class: 'num' }, fmtNumber(p.settlements_due)),
      h('td', { class: 'num' }, fmtNumber(p.settlements_connected)),
      h('td', { class: 'num' }, pct(p.settlements_connected, p.settlements_due)),
      h('td', { class: 'num' }, fmtNumber(p.people_connected)),
      h('td', {}, outlook.has(code) ? t(`outlook.${outlook.get(code).outlook}`) : t('common.none'))));
    body.replaceChildren(...[
      d.simulated ? h('p', { class: 'banner', i18n: 'dash.simulated', 'data-testid': 'simulated' }) : null,
      h('div', { class: 'tiles', 'data-testid': 'kpi-tiles' },
        h('div', { class: 'tile' }, h('div', { class: 'big', 'data-testid': 'kpi-connected' }, fmtNumber(tot.settlements_connected)),
          h('div', {}, t('dash.connected_of', { due: fmtNumber(tot.settlements_due), planned: fmtNumber(tot.settlements_planned) }))),
        h('div', { class: 'tile' }, h('div', { class: 'big' }, fmtNumber(tot.people_connected)),
          h('div', {}, t('dash.people_of', { due: fmtNumber(tot.people_due), planned: fmtNumber(tot.people_planned) }))),
        h('div', { class: 'tile' }, h('div', { class: 'big', 'data-testid': 'kpi-overdue' }, fmtNumber(k.overdue.length)), h('div', { i18n: 'dash.overdue' }))),
      h('h3', { i18n: 'dash.works_by_status' }),
      h('table', { 'data-testid': 'works-by-status' }, h('tbody', {}, STATUSES.map((s) => h('tr', { 'data-status': s },
        h('td', {}, t(`status.${s}`)), h('td', { class: 'num' }, fmtNumber(k.works_by_status[s] || 0)))))),
      h('h3', { i18n: 'dash.burn_up' }),
      burnUp(d.burn_up, outlook.get('*')),
      h('h3', { i18n: 'dash.by_region' }),
      h('table', { 'data-testid': 'kpi-regions' },
        h('thead', {}, h('tr', {}, ['dash.region', 'dash.planned', 'dash.due', 'dash.connected', 'dash.share', 'dash.people', 'dash.outlook']
          .map((c, i) => h('th', { class: i && i < 6 ? 'num' : null, i18n: c })))),
        h('tbody', {}, regionRows)),
      h('h3', { i18n: 'dash.waiting' }),
      waitingTable(k.waiting.slice(0, 20)),
    ].filter(Boolean));
  };
  dateInput.addEventListener('change', load);
  const reports = ['administrator', 'ministry_analyst', 'viewer'].includes(user.role)
    ? h('div', { class: 'row' },
      h('a', { class: 'button', href: '/api/tracking/report?format=xlsx', download: '', i18n: 'dash.report_xlsx', 'data-testid': 'report-xlsx' }),
      h('a', { class: 'button', href: '/api/tracking/report?format=html', target: '_blank', i18n: 'dash.report_html' }))
    : null;
  el.append(h('h2', { i18n: 'dash.title' }), h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'dash.as_of' }), dateInput)), reports, body);
  await load();
}

function waitingTable(groups) {
  if (!groups.length) return h('p', { class: 'muted', i18n: 'dash.nothing_waiting' });
  return h('table', { 'data-testid': 'waiting-summary' },
    h('thead', {}, h('tr', {}, ['dash.who_must_act', 'dash.blocked_works', 'dash.oldest'].map((c) => h('th', { i18n: c })))),
    h('tbody', {}, groups.map((g) => h('tr', {},
      h('td', {}, g.who_must_act), h('td', { class: 'num' }, fmtNumber(g.works.length)),
      h('td', {}, g.works.length ? fmtDay(g.works[0].since) : t('common.none'))))));
}

// "Waiting on you": what the caller's akimat (or operator) must act on, oldest first.
async function renderWaiting(el, ctx) {
  await ensureMap();
  const d = await ctx.api('/api/tracking/waiting');
  const items = d.waiting.flatMap((g) => g.works.map((w) => ({ ...w, who: g.who_must_act })));
  el.append(h('h2', { i18n: 'waiting.title' }), h('p', { class: 'muted' }, t('waiting.count', { n: fmtNumber(items.length) })));
  if (!items.length) { el.append(h('p', { class: 'muted', i18n: 'dash.nothing_waiting' })); return; }
  el.append(h('table', { 'data-testid': 'waiting-list' },
    h('thead', {}, h('tr', {}, ['waiting.since', 'waiting.days', 'waiting.reason', 'waiting.work', 'waiting.settlements'].map((c) => h('th', { i18n: c })))),
    h('tbody', {}, items.map((w) => h('tr', { 'data-work': w.work_id },
      h('td', {}, fmtDay(w.since)),
      h('td', { class: 'num' }, fmtNumber(w.days_waiting)),
      h('td', {}, t(`blocker.${w.reason}`), w.note ? h('div', { class: 'muted' }, w.note) : null),
      h('td', {}, t(`work_kind.${w.kind}`)),
      h('td', {}, w.settlement_ids.map((s) => h('a', { href: `#/settlement/${encodeURIComponent(s)}`, class: 'block' }, s))))))));
}

registerPanel({ id: 'dashboard', titleKey: 'nav.dashboard', roles: null, nav: true, render });
registerPanel({ id: 'waiting', titleKey: 'nav.waiting', roles: ['akimat_officer', 'operator_engineer', 'administrator', 'ministry_analyst'], nav: true, render: renderWaiting });
