// Registry summary: settlements and people by region (an akimat officer sees its own region).
import { registerPanel, h } from '../app.js';
import { t, fmtNumber, lang } from '../i18n.js';
import { ensureMap, regionsFC, setRegionFilter } from './map.js';

async function render(el, ctx) {
  const [summary, regs] = await Promise.all([ctx.api('/api/registry/summary'), regionsFC(), ensureMap()]);
  const names = new Map(regs.features.map((f) => [f.properties.code, f.properties[`name_${lang()}`]]));
  const cols = ['settlements', 'rural_settlements', 'rural_people_reported', 'rural_people_estimated', 'people'];
  const row = (r, total) => h('tr', { 'data-region': r.code },
    h('td', {}, total ? t('summary.total') : (r.code ? (names.get(r.code) || r.code) : t('summary.no_region')),
      ...(!total && r.code ? [' ', h('a', { href: '#/map', onclick: () => setRegionFilter(r.code), 'data-i18n-title': 'summary.show_on_map', title: t('summary.show_on_map') }, '↗')] : [])),
    cols.map((c) => h('td', { class: 'num' }, fmtNumber(r[c]))));
  el.append(
    h('h2', { i18n: 'summary.title' }),
    h('table', { 'data-testid': 'summary-table' },
      h('thead', {}, h('tr', {}, h('th', { i18n: 'summary.region' }), cols.map((c) => h('th', { class: 'num', i18n: `summary.${c}` })))),
      h('tbody', {}, summary.regions.map((r) => row(r, false)), row(summary.total, true))),
  );
}

registerPanel({ id: 'summary', titleKey: 'nav.summary', roles: null, nav: true, render });
