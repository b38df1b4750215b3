// The settlement page: what the registry knows of one place. Other domains (plan, works,
// history) add their sections with registerSection; each gets the settlement and its element.
import { registerPanel, h, me } from '../app.js';
import { t, fmtNumber, pickName } from '../i18n.js';
import { focus } from './map.js';

const sections = [];

// A section: { titleKey, roles (null: everyone), render(el, settlement, ctx) }.
export function registerSection(section) { sections.push(section); }

function fact(labelKey, value) {
  return [h('dt', { i18n: labelKey }), h('dd', {}, value === null || value === undefined || value === '' ? t('common.none') : value)];
}

async function render(el, ctx, id) {
  if (!id) { location.hash = '#/map'; return; }
  const s = await ctx.api(`/api/settlements/${encodeURIComponent(id)}`);
  const lonLat = `${fmtNumber(s.lat_deg, { maximumFractionDigits: 5 })}, ${fmtNumber(s.lon_deg, { maximumFractionDigits: 5 })}`;
  let population = s.population === null ? null : fmtNumber(s.population);
  if (population !== null && s.population_year) population += ` (${s.population_year})`;
  el.append(
    h('p', {}, h('a', { href: '#/map', i18n: 'settlement.back' })),
    h('h2', { 'data-testid': 'settlement-name' }, pickName(s.names) || s.id),
    h('dl', { class: 'facts', 'data-testid': 'settlement-facts' },
      fact('settlement.kind', t(`kind.${s.kind}`)),
      fact('settlement.population', population),
      fact('settlement.population_origin', s.population === null ? null : t(s.population_estimated ? 'origin.estimated' : 'origin.reported')),
      fact('settlement.region', s.region_names ? pickName(s.region_names) : s.region_code),
      fact('settlement.district', s.district_names ? pickName(s.district_names) : s.district_code),
      fact('settlement.coordinates', lonLat),
      fact('settlement.official_code', s.official_code),
      fact('settlement.id', s.id),
    ),
    h('h3', { i18n: 'settlement.names' }),
    h('dl', { class: 'facts' },
      fact('lang.kk', s.names.kk), fact('lang.ru', s.names.ru), fact('lang.en', s.names.en)),
  );
  for (const sec of sections.filter((x) => !x.roles || x.roles.includes(me().role))) {
    const box = h('section', {}, h('h3', { i18n: sec.titleKey }));
    el.append(box);
    await sec.render(box, s, ctx);
  }
  await focus(s.lon_deg, s.lat_deg);
}

registerPanel({ id: 'settlement', titleKey: 'nav.settlement', roles: null, nav: false, render });
