// Resilience: the network of a plan on the map (elements coloured by the people their failure
// cuts off), a heat map of the people at risk, what one element's failure cuts off (click it:
// the settlements are ringed on the map), the worst single points of failure, failure scenarios
// and, for the ministry, the redundancy proposal with its cost curve. The settlement page gets a
// section listing the single failures that cut the settlement off.
import { registerPanel, h, me, ApiError } from '../app.js';
import { t, fmtNumber, pickName, lang } from '../i18n.js';
import { registerSection } from './settlement.js';
import { ensureMap, regionsFC, clickGuards } from './map.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const SVG = 'http://www.w3.org/2000/svg';
const LAYERS = ['res-heat', 'res-links', 'res-nodes', 'res-add-lines', 'res-add-points', 'res-pick-line', 'res-pick-point', 'res-cut'];
const PICKABLE = ['res-nodes', 'res-links'];
const REDUNDANCY_ROLES = ['administrator', 'ministry_analyst', 'viewer'];
// Kinds of element the map legend names, with their colour.
const NODE_COLORS = [['core', '#111111'], ['pop', '#0b6e99'], ['mast', '#6a3d9a'], ['relay', '#ff7f00'], ['junction', '#7b8b96'], ['power_grid', '#d4a300'], ['power_solar', '#f2d024']];
const HEAT_MODES = [['worst', 'res.heat_mode_worst'], ['shared', 'res.heat_mode_shared']];
const SCENARIOS = [['power', 'res.scenario_power'], ['hazard', 'res.scenario_hazard'], ['random', 'res.scenario_random']];
const usd = (x) => fmtNumber(x, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
const hours = (x) => fmtNumber(x, { maximumFractionDigits: 1 });

// What the panel shows: the plan, the layers switched on, the element picked.
const view = { plan: 'latest', elements: true, heat: true, heatMode: 'worst', picked: null, picking: null };
// Per plan: its network's elements and settlements (loaded once).
const loaded = { plan: null, elements: null, settlements: null };
let layersOn = null;
let active = false;
let onPick = null;

// Test and debugging hook.
window.auylResilience = { get view() { return view; }, get loaded() { return loaded; } };

const base = () => `/api/resilience/${encodeURIComponent(view.plan)}`;

function nodeColor() {
  const e = ['match', ['get', 'kind']];
  for (const [k, c] of NODE_COLORS) e.push(k, c);
  e.push('#1d2b36');
  return e;
}

// Worst mode: each settlement at risk weighs by the people its worst single failure cuts off
// (piecewise linear in people, so about logarithmic); shared mode: by its own people, for the
// settlements a failure shared with others cuts off.
function heatFilter() {
  return view.heatMode === 'shared' ? ['==', ['get', 'at_risk_shared'], true] : ['==', ['get', 'at_risk'], true];
}

function heatWeight() {
  return view.heatMode === 'shared'
    ? ['/', ['get', 'people'], 2000]
    : ['interpolate', ['linear'], ['coalesce', ['get', 'worst_people'], 0], 0, 0, 1000, 0.15, 10000, 0.4, 100000, 0.8, 1000000, 1.2];
}

// The resilience sources and layers, added once per map (the map is made again after sign-in).
function ensureLayers(map) {
  if (layersOn === map) return;
  for (const id of ['res-elements', 'res-settlements', 'res-cut', 'res-pick', 'res-add']) map.addSource(id, { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'res-heat', type: 'heatmap', source: 'res-settlements', filter: heatFilter(),
    paint: {
      'heatmap-weight': heatWeight(),
      // Thousands of settlements overlap at the national zoom: low intensity there.
      'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 3, 0.08, 6, 0.35, 9, 1.2],
      'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 3, 7, 9, 32],
      'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'], 0, 'rgba(255,255,178,0)', 0.2, '#fecc5c', 0.5, '#fd8d3c', 0.8, '#f03b20', 1, '#bd0026'],
      'heatmap-opacity': 0.8,
    },
  }, 'settlements');
  map.addLayer({
    id: 'res-links', type: 'line', source: 'res-elements', filter: ['==', ['get', 'role'], 'link'],
    paint: {
      'line-color': ['case', ['>', ['get', 'people'], 0], ['interpolate', ['linear'], ['get', 'people'], 1, '#fd8d3c', 5000, '#e31a1c', 50000, '#67000d'], '#6f8f9f'],
      // Zoom may only drive a top-level interpolation: the case sits inside it.
      'line-width': ['interpolate', ['linear'], ['zoom'], 3, ['case', ['>', ['get', 'people'], 0], 1.5, 0.6], 9, ['case', ['>', ['get', 'people'], 0], 4, 2]],
    },
  }, 'selected');
  map.addLayer({
    id: 'res-nodes', type: 'circle', source: 'res-elements', filter: ['!=', ['get', 'role'], 'link'],
    paint: {
      'circle-color': nodeColor(),
      // Fibre junctions (thousands) stay specks until the map is zoomed in.
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 3, ['case', ['==', ['get', 'kind'], 'junction'], 0.8, 2.5], 8, ['case', ['==', ['get', 'kind'], 'junction'], 4, 6]],
      'circle-stroke-color': ['case', ['>', ['get', 'people'], 0], '#e31a1c', '#ffffff'],
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 3, ['case', ['==', ['get', 'kind'], 'junction'], 0, 1], 8, ['case', ['>', ['get', 'people'], 0], 2, 1]],
    },
  }, 'selected');
  map.addLayer({ id: 'res-add-lines', type: 'line', source: 'res-add', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#1a9641', 'line-width': 3, 'line-dasharray': [2, 1] } }, 'selected');
  map.addLayer({ id: 'res-add-points', type: 'circle', source: 'res-add', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 6, 'circle-color': '#1a9641', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } }, 'selected');
  map.addLayer({ id: 'res-cut', type: 'circle', source: 'res-cut', paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 3, 4, 9, 9], 'circle-color': 'rgba(227,26,28,0.25)', 'circle-stroke-color': '#b3261e', 'circle-stroke-width': 2 } });
  map.addLayer({ id: 'res-pick-line', type: 'line', source: 'res-pick', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#ffd400', 'line-width': 7, 'line-opacity': 0.85 } }, 'res-links');
  map.addLayer({ id: 'res-pick-point', type: 'circle', source: 'res-pick', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 11, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#ffd400', 'circle-stroke-width': 4 } });
  // Clicks: a point chosen for a scenario, else the element under the pointer.
  const hit = (e) => {
    const box = [[e.point.x - 4, e.point.y - 4], [e.point.x + 4, e.point.y + 4]];
    const feats = map.queryRenderedFeatures(box, { layers: PICKABLE.filter((l) => map.getLayer(l)) });
    // Nodes before links; among them, the one cutting most people off.
    feats.sort((a, b) => (a.layer.id === 'res-nodes' ? 0 : 1) - (b.layer.id === 'res-nodes' ? 0 : 1) || b.properties.people - a.properties.people);
    return feats[0] || null;
  };
  clickGuards.push((e) => active && layersOn === map && (!!view.picking || !!hit(e)));
  map.on('click', (e) => {
    if (!active || layersOn !== map) return;
    if (view.picking) { const f = view.picking; view.picking = null; map.getCanvas().style.cursor = ''; f(e.lngLat); return; }
    const f = hit(e);
    if (f && onPick) onPick(f.properties.id);
  });
  for (const l of PICKABLE) {
    map.on('mouseenter', l, () => { if (active) map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', l, () => { if (active && !view.picking) map.getCanvas().style.cursor = ''; });
  }
  layersOn = map;
}

function setVisible(map, on) {
  if (layersOn !== map) return;
  const vis = {
    'res-heat': on && view.heat, 'res-links': on && view.elements, 'res-nodes': on && view.elements,
    'res-add-lines': on, 'res-add-points': on, 'res-pick-line': on, 'res-pick-point': on, 'res-cut': on,
  };
  for (const l of LAYERS) map.setLayoutProperty(l, 'visibility', vis[l] ? 'visible' : 'none');
  map.setFilter('res-heat', heatFilter());
  map.setPaintProperty('res-heat', 'heatmap-weight', heatWeight());
}

// Leaving the panel hides its layers; coming back shows them.
window.addEventListener('hashchange', async () => {
  const here = location.hash.startsWith('#/resilience');
  if (here || !active) return;
  active = false;
  const map = await ensureMap();
  setVisible(map, false);
});
document.addEventListener('auyl:logout', () => { layersOn = null; active = false; loaded.plan = null; view.picked = null; });

async function loadNetwork(ctx, map) {
  if (loaded.plan === view.plan) return;
  const [elements, settlements] = await Promise.all([ctx.api(`${base()}/elements`), ctx.api(`${base()}/settlements`)]);
  Object.assign(loaded, { plan: view.plan, elements, settlements });
  map.getSource('res-elements').setData(elements);
  map.getSource('res-settlements').setData(settlements);
  for (const s of ['res-cut', 'res-pick', 'res-add']) map.getSource(s).setData(EMPTY);
}

// Shows the places given (lon, lat pairs) with some margin, unless they fit already.
function fitTo(map, coords) {
  if (!coords.length) return;
  const lons = coords.map((c) => c[0]);
  const lats = coords.map((c) => c[1]);
  const b = [[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]];
  const view = map.getBounds();
  if (view.contains(b[0]) && view.contains(b[1]) && map.getZoom() >= 6) return;
  map.fitBounds(b, { padding: 60, maxZoom: 11, duration: 500 });
}

function geometryCoords(g) {
  if (!g) return [];
  return g.type === 'Point' ? [g.coordinates] : g.coordinates;
}

function pointFC(rows) {
  return { type: 'FeatureCollection', features: rows.map((r) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [r.lon_deg, r.lat_deg] }, properties: { id: r.settlement_id, people: r.people } })) };
}

function settlementLink(r) {
  return h('a', { href: `#/settlement/${encodeURIComponent(r.settlement_id)}` }, pickName(r.names) || r.settlement_id);
}

function kindName(kind) { return t(`rkind.${kind}`); }

function tiles(totals) {
  const tile = (n, label, id) => h('div', { class: 'tile' }, h('div', { class: 'big', 'data-testid': id }, fmtNumber(n)), h('div', {}, label));
  return h('div', { class: 'tiles', 'data-testid': 'res-tiles' },
    tile(totals.single_points, t('res.single_points'), 'res-single-points'),
    tile(totals.people_at_risk, t('res.people_at_risk', { people: fmtNumber(totals.people), settlements: fmtNumber(totals.settlements_at_risk) }), 'res-people-at-risk'),
    tile(totals.people_at_risk_shared, t('res.people_at_risk_shared', { settlements: fmtNumber(totals.settlements_at_risk_shared) }), 'res-people-at-risk-shared'),
    tile(totals.unreachable_people, t('res.unreachable', { settlements: fmtNumber(totals.unreachable_settlements) }), 'res-unreachable'));
}

function legend() {
  return h('div', { class: 'legend', 'data-testid': 'res-legend' },
    h('div', {}, h('span', { class: 'bar', style: 'background:linear-gradient(90deg,#fd8d3c,#e31a1c,#67000d)' }), t('res.legend_cuts')),
    h('div', {}, h('span', { class: 'bar', style: 'background:#6f8f9f' }), t('res.legend_redundant')),
    h('div', { class: 'cols' }, NODE_COLORS.map(([k, c]) => h('div', {}, h('span', { class: 'dot', style: `background:${c}` }), kindName(k)))),
    h('div', {}, h('span', { class: 'dot', style: 'background:#fff;border:2px solid #e31a1c' }), t('res.legend_node_cuts')));
}

function heatLegend() {
  return h('div', { class: 'legend', 'data-testid': 'res-heat-legend' },
    h('div', {}, h('span', { class: 'bar', style: 'background:linear-gradient(90deg,#fecc5c,#fd8d3c,#f03b20,#bd0026)' }),
      t(view.heatMode === 'shared' ? 'res.heat_shared' : 'res.heat_worst')));
}

// The element picked: what its failure cuts off, listed and ringed on the map.
async function showElement(ctx, map, box, id) {
  view.picked = id;
  box.replaceChildren(h('p', { class: 'muted', i18n: 'res.computing' }));
  const r = await ctx.api(`${base()}/element?id=${encodeURIComponent(id)}`);
  if (view.picked !== id) return;
  const e = r.element;
  map.getSource('res-pick').setData(r.geometry ? { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: r.geometry, properties: {} }] } : EMPTY);
  map.getSource('res-cut').setData(pointFC(r.settlements_cut_off));
  fitTo(map, [...geometryCoords(r.geometry), ...r.settlements_cut_off.map((x) => [x.lon_deg, x.lat_deg])]);
  const facts = [
    [t('res.kind'), kindName(e.kind)],
    [t('res.cut_settlements'), fmtNumber(e.settlements)],
    [t('res.cut_people'), fmtNumber(e.people)],
  ];
  if (e.after_h !== null && e.after_h !== undefined) facts.push([t('res.after_battery'), t('res.hours', { h: hours(e.after_h) })]);
  // Passive junctions and the notional hub draw no power: no battery to show.
  if (e.battery_h !== null && e.battery_h !== undefined && !['junction', 'satellite_hub'].includes(e.kind)) facts.push([t('res.battery'), t('res.hours', { h: hours(e.battery_h) })]);
  if (r.power) facts.push([t('res.power'), r.power]);
  if (r.ends) facts.push([t('res.ends'), r.ends.join(' – ')]);
  if (e.assumed) facts.push([t('res.assumed'), t('res.yes')]);
  box.replaceChildren(
    h('h3', {}, t('res.what_fails', { id: e.id })),
    h('dl', { class: 'facts', 'data-testid': 'res-element-facts' }, facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    e.settlements ? h('p', { class: 'muted' }, t('res.ringed')) : h('p', { class: 'ok', i18n: 'res.nobody_cut' }),
    h('ol', { class: 'cut-list', 'data-testid': 'res-cut-list' }, r.settlements_cut_off.slice(0, 30).map((s) => h('li', { 'data-settlement': s.settlement_id }, settlementLink(s), ` · ${fmtNumber(s.people)}`))),
    r.settlements_cut_off.length > 30 ? h('p', { class: 'muted' }, t('res.and_more', { n: fmtNumber(r.settlements_cut_off.length - 30) })) : null,
  );
  box.dataset.element = e.id;
  box.dataset.settlements = String(e.settlements);
  box.scrollIntoView({ block: 'nearest' });
}

function spofTable(ctx, rows, pick) {
  return h('table', { 'data-testid': 'res-spof' },
    h('thead', {}, h('tr', {}, ['res.element', 'res.kind', 'res.cut_settlements', 'res.cut_people'].map((k, i) => h('th', { class: i > 1 ? 'num' : null, i18n: k })))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-element': r.id, class: 'pick', onclick: () => pick(r.id) },
      h('td', {}, r.id), h('td', {}, kindName(r.kind)), h('td', { class: 'num' }, fmtNumber(r.settlements)),
      h('td', { class: 'num' }, fmtNumber(r.people))))));
}

// A small line chart: cumulative cost (x) against people protected (y).
function curveChart(curve) {
  const w = 560, hgt = 200, pad = 40;
  const maxX = Math.max(1, ...curve.map((c) => c.cost_usd));
  const maxY = Math.max(1, ...curve.map((c) => c.people_protected));
  const x = (v) => pad + (v * (w - 2 * pad)) / maxX;
  const y = (v) => hgt - pad + 10 - (v * (hgt - pad - 10)) / maxY;
  const el = (tag, attrs, ...kids) => { const n = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); n.append(...kids); return n; };
  const d = curve.map((c, i) => `${i ? 'L' : 'M'}${x(c.cost_usd).toFixed(1)},${y(c.people_protected).toFixed(1)}`).join('');
  const svg = el('svg', { viewBox: `0 0 ${w} ${hgt}`, class: 'chart', 'data-testid': 'res-curve', role: 'img' },
    el('line', { x1: pad, y1: y(0), x2: w - pad, y2: y(0), stroke: '#999' }),
    el('line', { x1: pad, y1: y(0), x2: pad, y2: 10, stroke: '#999' }),
    el('path', { d, fill: 'none', stroke: '#1a9641', 'stroke-width': 2.5 }),
    el('text', { x: pad + 4, y: 14, 'font-size': 11 }, fmtNumber(maxY)),
    el('text', { x: w - pad, y: hgt - 6, 'font-size': 11, 'text-anchor': 'end' }, usd(maxX)));
  svg.setAttribute('aria-label', t('res.curve'));
  return svg;
}

async function redundancySection(ctx, map) {
  const minPeople = h('input', { type: 'number', min: '0', step: '100', value: '1000', name: 'min_people', 'data-testid': 'res-min-people' });
  const outageH = h('input', { type: 'number', min: '0', step: '1', value: '8', name: 'design_outage_h' });
  const out = h('div', { 'data-testid': 'res-redundancy' });
  const go = h('button', { type: 'button', class: 'primary', i18n: 'res.propose', 'data-testid': 'res-propose', onclick: async () => {
    out.replaceChildren(h('p', { class: 'muted', i18n: 'res.computing' }));
    try {
      const r = await ctx.api(`${base()}/redundancy?min_people=${encodeURIComponent(minPeople.value || 0)}&design_outage_h=${encodeURIComponent(outageH.value || 0)}`);
      const p = r.redundancy;
      map.getSource('res-add').setData(r.additions);
      const count = (k) => r.additions.features.filter((f) => f.properties.addition === k).length;
      out.replaceChildren(
        h('p', { 'data-testid': 'res-redundancy-summary' }, t('res.proposal', {
          n: fmtNumber(p.additions.length), cost: usd(p.cost_usd), bound: usd(p.lower_bound_usd),
          gap: fmtNumber(p.gap, { style: 'percent', maximumFractionDigits: 1 }),
        })),
        h('p', {}, t('res.protected', {
          before: fmtNumber(p.people_protected_before), after: fmtNumber(p.people_protected_after),
          targets: fmtNumber(p.targets), people: fmtNumber(p.target_people),
        })),
        h('p', { class: 'muted' }, t('res.additions', { rings: fmtNumber(count('fibre_ring')), hops: fmtNumber(count('microwave_hop')), batteries: fmtNumber(count('battery')) })),
        p.curve.length > 1 ? curveChart(p.curve) : null,
        h('p', { class: 'muted', i18n: 'res.curve' }),
        p.unprotected.length ? h('p', { class: 'muted' }, t('res.unprotected', { n: fmtNumber(p.unprotected.length) })) : null,
        r.dem ? null : h('p', { class: 'muted', i18n: 'res.hops_unchecked' }));
    } catch (e) {
      out.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('error.load', { message: e.message })));
    }
  } });
  return h('section', {}, h('h3', { i18n: 'res.redundancy' }),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'res.min_people' }), minPeople), h('label', {}, h('span', { i18n: 'res.design_outage' }), outageH), go), out);
}

async function scenarioSection(ctx, map) {
  const regs = await regionsFC();
  const kind = h('select', { name: 'kind', 'data-testid': 'res-scenario-kind' }, SCENARIOS.map(([k, key]) => h('option', { value: k, i18n: key })));
  const areaKind = h('select', { name: 'area_kind' }, h('option', { value: 'region', i18n: 'res.area_region' }), h('option', { value: 'circle', i18n: 'res.area_circle' }));
  const regionName = (f) => pickName({ kk: f.properties.name_kk, ru: f.properties.name_ru, en: f.properties.name_en }) || f.properties.code;
  const region = h('select', { name: 'region', 'data-testid': 'res-scenario-region' }, regs.features
    .filter((f) => !me().region_code || f.properties.code === me().region_code)
    .sort((a, b) => regionName(a).localeCompare(regionName(b), lang()))
    .map((f) => h('option', { value: f.properties.code }, regionName(f))));
  const lon = h('input', { type: 'number', step: 'any', name: 'lon', value: '76.9' });
  const lat = h('input', { type: 'number', step: 'any', name: 'lat', value: '43.3' });
  const radius = h('input', { type: 'number', min: '0', step: 'any', name: 'radius_km', value: '20' });
  const pickBtn = h('button', { type: 'button', class: 'link', i18n: 'res.pick_centre', onclick: () => {
    map.getCanvas().style.cursor = 'crosshair';
    view.picking = (ll) => { lon.value = ll.lng.toFixed(4); lat.value = ll.lat.toFixed(4); };
  } });
  const hoursIn = h('input', { type: 'number', min: '0', step: '1', value: '12', name: 'hours', 'data-testid': 'res-scenario-hours' });
  const k = h('input', { type: 'number', min: '1', step: '1', value: '2', name: 'k' });
  const trials = h('input', { type: 'number', min: '1', step: '100', value: '1000', name: 'trials' });
  const areaBox = h('div', {});
  const paramBox = h('div', {});
  const out = h('div', { 'data-testid': 'res-scenario-result' });
  const layout = () => {
    const random = kind.value === 'random';
    areaBox.hidden = random;
    areaBox.replaceChildren(
      h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'res.area' }), areaKind)),
      areaKind.value === 'region'
        ? h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'filter.region' }), region))
        : h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'res.lon' }), lon), h('label', {}, h('span', { i18n: 'res.lat' }), lat), h('label', {}, h('span', { i18n: 'res.radius' }), radius), pickBtn));
    paramBox.replaceChildren(random
      ? h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'res.k' }), k), h('label', {}, h('span', { i18n: 'res.trials' }), trials))
      : h('div', { class: 'row' }, h('label', {}, h('span', { i18n: kind.value === 'power' ? 'res.outage_hours' : 'res.repair_hours' }), hoursIn)));
  };
  kind.addEventListener('change', layout);
  areaKind.addEventListener('change', layout);
  layout();
  const run = h('button', { type: 'button', class: 'primary', i18n: 'res.run', 'data-testid': 'res-scenario-run', onclick: async () => {
    out.replaceChildren(h('p', { class: 'muted', i18n: 'res.computing' }));
    const body = { kind: kind.value };
    if (kind.value !== 'random') {
      body.area = areaKind.value === 'region' ? { code: region.value } : { circle: { lon_deg: Number(lon.value), lat_deg: Number(lat.value), radius_km: Number(radius.value) } };
      if (kind.value === 'power') body.hours = Number(hoursIn.value); else body.repair_hours = Number(hoursIn.value);
    } else {
      body.k = Number(k.value);
      body.trials = Number(trials.value);
    }
    try {
      const r = await ctx.api(`${base()}/scenario`, { method: 'POST', body });
      if (r.scenario === 'random') {
        const m = r.result;
        out.replaceChildren(h('p', { 'data-testid': 'res-scenario-summary' }, t('res.random_result', {
          k: fmtNumber(m.k), trials: fmtNumber(m.trials), mean: fmtNumber(Math.round(m.people.mean)),
          low: fmtNumber(Math.max(0, Math.round(m.people.ci95_low))), high: fmtNumber(Math.round(m.people.ci95_high)),
          p95: fmtNumber(m.people_p95), max: fmtNumber(m.people_max),
          share: fmtNumber(m.share_with_loss, { style: 'percent', maximumFractionDigits: 1 }),
        })));
        return;
      }
      const res = r.result;
      map.getSource('res-cut').setData(pointFC(r.settlements_cut_off));
      map.getSource('res-pick').setData(EMPTY);
      fitTo(map, r.settlements_cut_off.map((x) => [x.lon_deg, x.lat_deg]));
      out.replaceChildren(
        h('p', { 'data-testid': 'res-scenario-summary' }, t('res.scenario_result', {
          settlements: fmtNumber(res.settlements_cut_off), people: fmtNumber(res.people_cut_off), peak: fmtNumber(res.peak_people),
          longest: hours(res.longest_h), people_hours: fmtNumber(Math.round(res.people_hours)), down: fmtNumber(r.elements_failing),
        })),
        res.settlements_cut_off ? h('p', { class: 'muted' }, t('res.ringed')) : null,
        h('ol', { class: 'cut-list' }, r.settlements_cut_off.slice(0, 20).map((s) => h('li', {}, settlementLink(s), ` · ${fmtNumber(s.people)} · `, t('res.hours', { h: hours(s.hours) })))));
    } catch (e) {
      out.replaceChildren(h('p', { class: 'error', role: 'alert' }, e instanceof ApiError ? t('res.scenario_refused', { message: e.message }) : t('error.load', { message: e.message })));
    }
  } });
  return h('section', {}, h('h3', { i18n: 'res.scenarios' }),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'res.scenario' }), kind)), areaBox, paramBox, h('div', { class: 'row' }, run), out);
}

async function render(el, ctx) {
  delete el.dataset.ready;
  const map = await ensureMap();
  ensureLayers(map);
  active = true;
  const plans = await ctx.api('/api/plans');
  if (!plans.length && view.plan === 'latest') view.plan = 'existing';
  const planSel = h('select', { name: 'plan', 'data-testid': 'res-plan' },
    plans.map((p, i) => h('option', { value: i === 0 ? 'latest' : p.label }, p.label)),
    h('option', { value: 'existing', i18n: 'res.existing' }));
  planSel.value = view.plan;
  planSel.addEventListener('change', () => { view.plan = planSel.value; view.picked = null; el.replaceChildren(); render(el, ctx); });
  el.append(h('h2', { i18n: 'res.title' }), h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'res.plan' }), planSel)));
  const status = h('p', { class: 'muted', i18n: 'res.computing', 'data-testid': 'res-status' });
  el.append(status);
  let sum;
  try {
    sum = await ctx.api(base());
    await loadNetwork(ctx, map);
  } catch (e) {
    status.className = 'error';
    status.textContent = e instanceof ApiError && e.code === 'no_network' ? t('res.no_network') : t('error.load', { message: e.message });
    setVisible(map, false);
    return;
  }
  const n = sum.network;
  status.textContent = t('res.network', { plan: n.plan, elements: fmtNumber(n.elements), s: hours(n.built_s) });
  status.dataset.ready = 'true';
  const picked = h('div', { 'data-testid': 'res-element' }, h('p', { class: 'muted', i18n: 'res.click_hint' }));
  const pick = async (id) => {
    try { await showElement(ctx, map, picked, id); } catch (e) { picked.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('error.load', { message: e.message }))); }
  };
  onPick = pick;
  const elementsBox = h('input', { type: 'checkbox', checked: view.elements, 'data-testid': 'res-show-elements', onchange: (e) => { view.elements = e.target.checked; setVisible(map, true); } });
  const heatBox = h('input', { type: 'checkbox', checked: view.heat, 'data-testid': 'res-show-heat', onchange: (e) => { view.heat = e.target.checked; setVisible(map, true); } });
  const heatLegendBox = h('div', {}, heatLegend());
  const heatMode = h('select', { name: 'heat_mode', 'data-testid': 'res-heat-mode' }, HEAT_MODES.map(([m, key]) => h('option', { value: m, i18n: key })));
  heatMode.value = view.heatMode;
  heatMode.addEventListener('change', () => { view.heatMode = heatMode.value; setVisible(map, true); heatLegendBox.replaceChildren(heatLegend()); });
  const spof = await ctx.api(`${base()}/spof?limit=15`);
  el.append(
    tiles(sum.totals),
    n.assumptions.length ? h('details', {}, h('summary', { i18n: 'res.assumptions' }), h('ul', {}, n.assumptions.map((a) => h('li', { class: 'muted' }, a)))) : null,
    picked,
    h('div', { class: 'checks' }, h('label', {}, elementsBox, t('res.show_elements')), h('label', {}, heatBox, t('res.show_heat'))),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'res.heat_mode' }), heatMode)),
    heatLegendBox, legend(),
    h('h3', {}, t('res.worst', { n: fmtNumber(spof.matched) })),
    spof.impacts.length ? spofTable(ctx, spof.impacts, pick) : h('p', { class: 'muted', i18n: 'res.none' }),
    await scenarioSection(ctx, map),
    REDUNDANCY_ROLES.includes(me().role) ? await redundancySection(ctx, map) : null,
  );
  setVisible(map, true);
  if (view.picked) await pick(view.picked);
  el.dataset.ready = 'true';
}

registerSection({
  titleKey: 'res.section',
  roles: null,
  async render(el, s, ctx) {
    let r;
    try {
      r = await ctx.api(`/api/resilience/latest/settlements/${encodeURIComponent(s.id)}`);
    } catch (e) {
      if (e instanceof ApiError && [403, 404].includes(e.status)) { el.append(h('p', { class: 'muted', i18n: 'res.not_assessed' })); return; }
      throw e;
    }
    if (!r.in_network) { el.append(h('p', { class: 'muted', 'data-testid': 'res-settlement' }, t('res.not_in_network', { plan: r.plan }))); return; }
    if (!r.reached) { el.append(h('p', { class: 'error', 'data-testid': 'res-settlement' }, t('res.not_reached', { plan: r.plan }))); return; }
    const box = h('div', { 'data-testid': 'res-settlement' },
      h('p', {}, r.failures.length ? t('res.cut_by', { n: fmtNumber(r.failures.length), plan: r.plan }) : t('res.protected_here', { plan: r.plan })));
    if (r.failures.length) {
      box.append(h('table', {},
        h('thead', {}, h('tr', {}, ['res.element', 'res.kind', 'res.cut_people'].map((k, i) => h('th', { class: i > 1 ? 'num' : null, i18n: k })))),
        h('tbody', {}, r.failures.slice(0, 10).map((f) => h('tr', {}, h('td', {}, f.id), h('td', {}, kindName(f.kind)), h('td', { class: 'num' }, fmtNumber(f.people)))))));
    }
    el.append(box);
  },
});

registerPanel({ id: 'resilience', titleKey: 'nav.resilience', roles: null, nav: true, render });
