// Registry map: region boundaries and settlements drawn from the API on a local style (no
// tiles from the internet unless the server names an online base map), coloured by kind, by the
// origin of the population figure, by the technology of the latest plan or by the rollout status
// of tracking, with filters and search; the latest plan's network, and a mast's coverage on click.
import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { registerPanel, api, h, me } from '../app.js';
import { t, fmtNumber, pickName, lang } from '../i18n.js';

export const KINDS = ['city', 'town', 'village', 'hamlet', 'isolated_dwelling', 'unknown'];
const KIND_COLORS = { city: '#6a3d9a', town: '#1f78b4', village: '#33a02c', hamlet: '#ff7f00', isolated_dwelling: '#e31a1c', unknown: '#8c8c8c' };
const ORIGINS = ['reported', 'estimated', 'none'];
const ORIGIN_COLORS = { reported: '#0b6e99', estimated: '#e69f00', none: '#9a9a9a' };
const EMPTY = { type: 'FeatureCollection', features: [] };
export const TECHS = ['fibre', 'lte', 'microwave', 'satellite', 'none'];
const TECH_COLORS = { fibre: '#0b6e99', lte: '#33a02c', microwave: '#ff7f00', satellite: '#6a3d9a', none: '#b0b0b0' };
export const TRACK = ['connected', 'in_progress', 'overdue', 'blocked', 'planned', 'none'];
const TRACK_COLORS = { connected: '#2b7a2b', in_progress: '#1f78b4', overdue: '#e69f00', blocked: '#b3261e', planned: '#8c8c8c', none: '#d0d0d0' };
// Per settlement id: the latest plan's technology and the tracking status (loaded when used).
const extra = { technology: null, status: null, network: null };

const filters = { region: '', kinds: new Set(KINDS), q: '', minPopulation: '', colorBy: 'kind', network: false };
let map = null;
let mapReady = null;
// The server's settings (/api/config): base map, whether coverage can be computed.
let clientConfig = {};
let regions = null;
let shown = EMPTY;

// Other panels' claims on map clicks: a guard returning true has handled the click (a network
// element picked, a point chosen), so the settlement under it is not opened.
export const clickGuards = [];

// Test and debugging hook: what the map holds.
window.auylMap = { get map() { return map; }, get settlements() { return shown.features.length; } };

function originExpr() {
  return ['match', ['to-string', ['coalesce', ['get', 'population_estimated'], 'none']],
    'true', ORIGIN_COLORS.estimated, 'false', ORIGIN_COLORS.reported, ORIGIN_COLORS.none];
}

function matchExpr(prop, keys, colors) {
  const e = ['match', ['coalesce', ['get', prop], 'none']];
  for (const k of keys) if (k !== 'none') e.push(k, colors[k]);
  e.push(colors.none);
  return e;
}

function colorExpr() {
  if (filters.colorBy === 'origin') return originExpr();
  if (filters.colorBy === 'technology') return matchExpr('technology', TECHS, TECH_COLORS);
  if (filters.colorBy === 'status') return matchExpr('track_status', TRACK, TRACK_COLORS);
  return kindExpr();
}

// Loads what the colouring needs (the plan's technologies, the tracking statuses).
async function loadExtra() {
  if (filters.colorBy === 'technology' && !extra.technology) {
    extra.technology = await api('/api/plans/latest/technologies').catch(() => ({}));
  }
  if (filters.colorBy === 'status') {
    const rows = await api('/api/tracking/settlements');
    extra.status = Object.fromEntries(rows.map((r) => [r.settlement_id, r.status]));
  }
}

function annotate(fc) {
  for (const f of fc.features) {
    if (extra.technology) f.properties.technology = extra.technology[f.properties.id] || 'none';
    if (extra.status) f.properties.track_status = extra.status[f.properties.id] || 'none';
  }
  return fc;
}

function kindExpr() {
  const e = ['match', ['get', 'kind']];
  for (const k of KINDS) e.push(k, KIND_COLORS[k]);
  e.push(KIND_COLORS.unknown);
  return e;
}

// The map, created once after sign-in; resolves when its style and sources are loaded.
export function ensureMap() {
  if (mapReady) return mapReady;
  mapReady = api('/api/config').catch(() => ({})).then((cfg) => new Promise((resolve) => {
    clientConfig = cfg || {};
    const base = clientConfig.base_map;
    map = new maplibregl.Map({
      container: 'map',
      style: {
        version: 8,
        sources: {
          regions: { type: 'geojson', data: EMPTY },
          settlements: { type: 'geojson', data: EMPTY },
          selected: { type: 'geojson', data: EMPTY },
          network: { type: 'geojson', data: EMPTY },
          ...(base ? { base: { type: 'raster', tiles: [base.tiles_url], tileSize: 256, maxzoom: base.max_zoom, attribution: base.attribution } } : {}),
        },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': '#dfe8ec' } },
          ...(base ? [{ id: 'base', type: 'raster', source: 'base' }] : []),
          // Over an online base map the regions are a light veil; offline they are the land.
          { id: 'regions-fill', type: 'fill', source: 'regions', paint: { 'fill-color': '#fbfbf8', 'fill-opacity': base ? 0.35 : 1 } },
          { id: 'regions-line', type: 'line', source: 'regions', paint: { 'line-color': '#7b8b96', 'line-width': 1 } },
          { id: 'plan-routes', type: 'line', source: 'network', filter: ['==', ['get', 'element'], 'route'], paint: { 'line-color': '#0b6e99', 'line-width': 1.6, 'line-opacity': 0.8 } },
          { id: 'plan-hops', type: 'line', source: 'network', filter: ['==', ['get', 'element'], 'hop'], paint: { 'line-color': '#ff7f00', 'line-width': 1.6, 'line-dasharray': [2, 1.5] } },
          {
            id: 'settlements', type: 'circle', source: 'settlements',
            paint: {
              'circle-color': kindExpr(),
              'circle-radius': ['interpolate', ['linear'], ['zoom'], 3, 1.6, 7, 4, 11, 7],
              'circle-stroke-color': '#ffffff', 'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 3, 0, 7, 0.6],
            },
          },
          {
            id: 'plan-sites', type: 'circle', source: 'network', filter: ['==', ['get', 'element'], 'site'],
            paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 3, 2.5, 8, 5], 'circle-color': ['match', ['get', 'status'], 'new', '#b3261e', '#1d2b36'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
          },
          { id: 'selected', type: 'circle', source: 'selected', paint: { 'circle-radius': 9, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#111', 'circle-stroke-width': 2.5 } },
        ],
      },
      center: [67.5, 48.2],
      zoom: 3.6,
      attributionControl: base ? { compact: true } : false,
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    const tip = h('div', { class: 'tooltip', hidden: true });
    document.getElementById('map').append(tip);
    map.on('mousemove', 'settlements', (e) => {
      const p = e.features[0].properties;
      map.getCanvas().style.cursor = 'pointer';
      tip.hidden = false;
      tip.textContent = `${p['name_' + lang()] || p.name || p.id} · ${p.population ? fmtNumber(p.population) : t('common.none')}`;
      tip.style.left = `${e.point.x + 12}px`;
      tip.style.top = `${e.point.y + 12}px`;
    });
    map.on('mouseleave', 'settlements', () => { map.getCanvas().style.cursor = ''; tip.hidden = true; });
    map.on('click', 'settlements', (e) => {
      if (clickGuards.some((g) => g(e))) return;
      // A click on a mast shows its coverage; one on a settlement alone opens its page.
      if (map.queryRenderedFeatures(e.point, { layers: ['plan-sites'] }).length) return;
      location.hash = `#/settlement/${encodeURIComponent(e.features[0].properties.id)}`;
    });
    map.on('click', 'plan-sites', (e) => { showCoverage(e.features[0].properties.id); });
    map.on('mouseenter', 'plan-sites', () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', 'plan-sites', () => { map.getCanvas().style.cursor = ''; });
    map.on('load', async () => {
      regions = await api('/api/regions');
      map.getSource('regions').setData(regions);
      await reload();
      resolve(map);
    });
  }));
  return mapReady;
}

// The coverage drawn now: { site, data } (null: none).
let coverage = null;

function coverageBox() { return document.querySelector('[data-testid=coverage-box]'); }

function clearCoverage() {
  coverage = null;
  if (map && map.getLayer('coverage')) map.removeLayer('coverage');
  if (map && map.getSource('coverage')) map.removeSource('coverage');
  const box = coverageBox();
  if (box) box.replaceChildren();
}

function drawCoverageBox() {
  const box = coverageBox();
  if (!box || !coverage) return;
  const c = coverage.data;
  const terrain = (c.terrain || []).map((x) => `${x.name} (${fmtNumber(Math.round(x.resolution_m))} m)`).join(', ');
  box.replaceChildren(h('div', { class: 'coverage', 'data-testid': 'coverage' },
    h('h3', {}, t('map.coverage_title', { site: c.site.id })),
    h('p', { 'data-testid': 'coverage-summary' }, t('map.coverage_summary', { settlements: fmtNumber(c.covered.settlements), people: fmtNumber(c.covered.people) })),
    h('p', { class: 'muted' }, t('map.coverage_basis', { loss: fmtNumber(c.max_path_loss_db), freq: fmtNumber(c.freq_mhz), height: fmtNumber(c.site.height_m), terrain })),
    c.radials_cut > 0 ? h('p', { class: 'muted', 'data-testid': 'coverage-cut' }, t('map.coverage_cut', { cut: fmtNumber(c.radials_cut), radials: fmtNumber(c.radials) })) : null,
    h('button', { type: 'button', 'data-testid': 'coverage-clear', onclick: clearCoverage }, t('map.coverage_clear'))));
}

// Fetches and draws one mast's coverage (computed by the server over its terrain, kept there).
export async function showCoverage(siteId) {
  const box = coverageBox();
  if (!clientConfig.coverage) {
    if (box) box.replaceChildren(h('p', { class: 'muted', 'data-testid': 'coverage-unavailable' }, t('map.coverage_unavailable')));
    return;
  }
  if (box) box.replaceChildren(h('p', { class: 'muted' }, t('map.coverage_loading')));
  let data;
  try {
    data = await api(`/api/plans/latest/sites/${encodeURIComponent(siteId)}/coverage`);
  } catch (e) {
    if (box) box.replaceChildren(h('p', { class: 'error' }, t('error.load', { message: e.message })));
    return;
  }
  clearCoverage();
  coverage = { site: siteId, data };
  map.addSource('coverage', { type: 'image', url: data.image, coordinates: data.coordinates });
  map.addLayer({ id: 'coverage', type: 'raster', source: 'coverage', paint: { 'raster-opacity': 0.7, 'raster-fade-duration': 0 } }, 'settlements');
  drawCoverageBox();
  document.dispatchEvent(new CustomEvent('auyl:coverage', { detail: data }));
}

document.addEventListener('auyl:logout', () => {
  if (!map) return;
  regions = null;
  shown = EMPTY;
  extra.technology = null;
  extra.status = null;
  extra.network = null;
  coverage = null;
  map.remove();
  map = null;
  mapReady = null;
  document.getElementById('map').replaceChildren();
});

export async function regionsFC() {
  if (!regions) regions = await api('/api/regions');
  return regions;
}

function query() {
  const p = new URLSearchParams();
  const scope = me() && me().region_code;
  if (scope) p.set('region', scope);
  else if (filters.region) p.set('region', filters.region);
  if (filters.kinds.size < KINDS.length) p.set('kind', [...filters.kinds].join(','));
  if (filters.q.trim()) p.set('q', filters.q.trim());
  if (filters.minPopulation !== '' && Number(filters.minPopulation) > 0) p.set('min_population', String(Math.floor(Number(filters.minPopulation))));
  return p.toString();
}

// Fetches the settlements for the current filters and draws them.
export async function reload() {
  const fc = annotate(await api(`/api/settlements?${query()}`));
  shown = fc;
  if (map && map.getSource('settlements')) map.getSource('settlements').setData(fc);
  document.dispatchEvent(new CustomEvent('auyl:settlements', { detail: fc }));
  return fc;
}

// Marks one settlement and flies to it.
export async function focus(lon, lat) {
  await ensureMap();
  map.getSource('selected').setData({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: {} }] });
  map.flyTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 8), duration: 600 });
}

export function setRegionFilter(code) { filters.region = code; }

function networkLegend() {
  return h('div', { class: 'legend', 'data-testid': 'network-legend' },
    [['#b3261e', 'map.site_new'], ['#1d2b36', 'map.site_existing'], ['#0b6e99', 'map.route'], ['#ff7f00', 'map.hop']]
      .map(([c, k]) => h('div', {}, h('span', { class: 'dot', style: `background:${c}` }), t(k))));
}

// Draws (or clears) the latest plan's masts, fibre routes and microwave hops.
async function showNetwork() {
  if (!map || !map.getSource('network')) return;
  const box = document.querySelector('[data-testid=network-legend-box]');
  if (box) box.replaceChildren(...(filters.network ? [networkLegend()] : []));
  if (!filters.network) { map.getSource('network').setData(EMPTY); clearCoverage(); return; }
  if (!extra.network) extra.network = await api('/api/plans/latest/elements').catch(() => EMPTY);
  map.getSource('network').setData(extra.network);
}

function legend() {
  const items = {
    kind: () => KINDS.map((k) => [KIND_COLORS[k], t(`kind.${k}`)]),
    origin: () => ORIGINS.map((o) => [ORIGIN_COLORS[o], t(`origin.${o}`)]),
    technology: () => TECHS.map((k) => [TECH_COLORS[k], t(`tech.${k}`)]),
    status: () => TRACK.map((k) => [TRACK_COLORS[k], t(`track.${k}`)]),
  }[filters.colorBy]();
  return h('div', { class: 'legend', 'data-testid': 'legend' },
    items.map(([c, label]) => h('div', {}, h('span', { class: 'dot', style: `background:${c}` }), label)));
}

async function render(el) {
  const user = me();
  const [, regs] = await Promise.all([ensureMap(), regionsFC()]);
  if (map.getSource('selected')) map.getSource('selected').setData(EMPTY);
  const regionSel = h('select', { name: 'region', 'data-testid': 'filter-region', disabled: !!user.region_code });
  regionSel.append(h('option', { value: '', i18n: 'filter.all_regions' }));
  const sorted = [...regs.features].sort((a, b) => (a.properties[`name_${lang()}`] || '').localeCompare(b.properties[`name_${lang()}`] || '', lang()));
  for (const f of sorted) {
    if (user.region_code && f.properties.code !== user.region_code) continue;
    regionSel.append(h('option', { value: f.properties.code }, f.properties[`name_${lang()}`] || f.properties.code));
  }
  regionSel.value = user.region_code || filters.region;
  const kinds = h('div', { class: 'checks', 'data-testid': 'filter-kinds' }, KINDS.map((k) =>
    h('label', {}, h('input', { type: 'checkbox', value: k, checked: filters.kinds.has(k), onchange: (e) => {
      if (e.target.checked) filters.kinds.add(k); else filters.kinds.delete(k);
      apply();
    } }), t(`kind.${k}`))));
  const minPop = h('input', { type: 'number', min: '0', step: '1', name: 'min_population', value: filters.minPopulation, 'data-testid': 'filter-min-population' });
  const search = h('input', { type: 'search', name: 'q', value: filters.q, placeholder: t('filter.search_placeholder'), 'data-testid': 'search' });
  const colorBy = h('select', { name: 'color_by', 'data-testid': 'color-by' },
    h('option', { value: 'kind', i18n: 'map.color_by_kind' }),
    h('option', { value: 'origin', i18n: 'map.color_by_origin' }),
    h('option', { value: 'technology', i18n: 'map.color_by_technology' }),
    h('option', { value: 'status', i18n: 'map.color_by_status' }));
  colorBy.value = filters.colorBy;
  const network = h('input', { type: 'checkbox', name: 'network', checked: filters.network, 'data-testid': 'show-network', onchange: async (e) => {
    filters.network = e.target.checked;
    await showNetwork();
  } });
  const legendBox = h('div', {}, legend());
  const count = h('p', { class: 'muted', 'data-testid': 'shown-count' });
  const results = h('ul', { class: 'results', 'data-testid': 'results' });

  const showCount = (fc) => {
    count.textContent = t('map.shown', { shown: fmtNumber(fc.features.length), total: fmtNumber(fc.total_in_registry) });
    results.replaceChildren();
    if (filters.q.trim()) {
      for (const f of fc.features.slice(0, 50)) {
        const p = f.properties;
        results.append(h('li', {}, h('a', { href: `#/settlement/${encodeURIComponent(p.id)}` },
          `${p['name_' + lang()] || p.name || p.id} · ${t(`kind.${p.kind}`)}`)));
      }
      if (!fc.features.length) results.append(h('li', { class: 'muted', i18n: 'map.no_results' }));
    }
  };
  let timer = null;
  const apply = () => { clearTimeout(timer); timer = setTimeout(() => reload().then(showCount).catch((e) => { count.textContent = t('error.load', { message: e.message }); }), 150); };
  regionSel.addEventListener('change', () => { filters.region = regionSel.value; apply(); });
  minPop.addEventListener('input', () => { filters.minPopulation = minPop.value; apply(); });
  search.addEventListener('input', () => { filters.q = search.value; apply(); });
  colorBy.addEventListener('change', async () => {
    filters.colorBy = colorBy.value;
    await loadExtra();
    showCount(await reload());
    map.setPaintProperty('settlements', 'circle-color', colorExpr());
    legendBox.replaceChildren(legend());
    document.dispatchEvent(new CustomEvent('auyl:colored', { detail: filters.colorBy }));
  });
  await loadExtra();
  map.setPaintProperty('settlements', 'circle-color', colorExpr());

  el.append(
    h('h2', { i18n: 'map.title' }),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'filter.search' }), search)),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'filter.region' }), regionSel)),
    h('h3', { i18n: 'filter.kinds' }), kinds,
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'filter.min_population' }), minPop)),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'map.color_by' }), colorBy)),
    legendBox,
    h('div', { class: 'checks' }, h('label', {}, network, t('map.show_network'))),
    h('div', { 'data-testid': 'network-legend-box' }),
    h('p', { class: 'muted', i18n: 'map.coverage_hint' }),
    h('div', { 'data-testid': 'coverage-box' }),
    count, results,
  );
  await showNetwork();
  drawCoverageBox();
  showCount(await reload());
}

registerPanel({ id: 'map', titleKey: 'nav.map', roles: null, nav: true, render });
