// Plans: the stored scenarios with their files (workbook, GeoPackage, report), a new planning
// run with its progress (ministry), the comparison of two scenarios, and the plan's decision on
// the settlement page.
import { registerPanel, h, ApiError, me } from '../app.js';
import { t, has, fmtNumber, fmtDate } from '../i18n.js';
import { registerSection } from './settlement.js';
import { ensureMap, TECHS } from './map.js';

const usd = (x) => fmtNumber(x, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
// Totals of a comparison, in display order, with how to format each.
const TOTALS = [
  ['settlements_served', fmtNumber], ['people_connected', fmtNumber], ['capex_usd', usd], ['npc_usd', usd],
  ['fibre_km', (x) => fmtNumber(x, { maximumFractionDigits: 0 })], ['new_masts', fmtNumber], ['microwave_hops', fmtNumber],
];

function techList(byTech) {
  return TECHS.filter((k) => byTech && byTech[k]).map((k) => `${t(`tech.${k}`)} ${fmtNumber(byTech[k])}`).join(' · ');
}

const MINISTRY = ['administrator', 'ministry_analyst'];
const EXPORTERS = ['administrator', 'ministry_analyst', 'viewer'];

function stageLabel(stage) { return has(`stage.${stage}`) ? t(`stage.${stage}`) : stage; }

// The form that starts a planning run, and its progress until the plan is stored.
function runForm(onStored, ctx) {
  const preset = h('select', { name: 'preset', 'data-testid': 'run-preset' }, ['central', 'low', 'high'].map((p) => h('option', { value: p }, t(`preset.${p}`))));
  const mode = h('select', { name: 'mode', 'data-testid': 'run-mode' }, ['min_cost', 'max_people'].map((m) => h('option', { value: m }, t(`mode.${m}`))));
  const name = h('input', { name: 'name', value: 'central', 'data-testid': 'run-name' });
  const minPop = h('input', { type: 'number', min: '0', step: '1', name: 'min_population', 'data-testid': 'run-min-population' });
  const file = h('input', { type: 'file', accept: '.toml,text/plain', name: 'scenario', 'data-testid': 'run-scenario' });
  const status = h('p', { 'data-testid': 'run-status', 'aria-live': 'polite' });
  const bar = h('progress', { max: '1', value: '0', hidden: true });
  preset.addEventListener('change', () => { name.value = preset.value; });
  const go = h('button', { type: 'button', class: 'primary', 'data-testid': 'run-go', onclick: async () => {
    const body = { preset: preset.value, mode: mode.value, name: name.value.trim() };
    if (minPop.value !== '') body.min_population = Math.floor(Number(minPop.value));
    if (file.files.length) body.scenario_toml = await file.files[0].text();
    go.disabled = true;
    status.className = '';
    try {
      let job = await ctx.api('/api/plans/runs', { method: 'POST', body });
      bar.hidden = false;
      while (job.state === 'running') {
        status.textContent = t('plans.run_status', { id: job.id, stage: stageLabel(job.stage), done: fmtNumber(job.done), total: fmtNumber(job.total), seconds: fmtNumber(Math.round(job.elapsed_s)) });
        bar.max = String(Math.max(job.total, 1));
        bar.value = String(job.done);
        await new Promise((r) => setTimeout(r, 1000));
        job = await ctx.api(`/api/plans/runs/${job.id}`);
      }
      bar.hidden = true;
      if (job.state === 'done') {
        status.textContent = t('plans.run_done', { plan: job.plan, served: fmtNumber(job.totals.settlements_served), people: fmtNumber(job.totals.people_connected) });
        await onStored();
      } else {
        status.className = 'error';
        status.textContent = t('plans.run_failed', { message: job.error });
      }
    } catch (e) {
      status.className = 'error';
      status.textContent = t('plans.run_failed', { message: e.message });
    } finally {
      go.disabled = false;
    }
  } }, t('plans.run'));
  return h('div', { 'data-testid': 'run-form' },
    h('h3', { i18n: 'plans.run_title' }),
    h('div', { class: 'row' },
      h('label', {}, h('span', { i18n: 'plans.preset' }), preset),
      h('label', {}, h('span', { i18n: 'plans.mode' }), mode),
      h('label', {}, h('span', { i18n: 'plans.name' }), name),
      h('label', {}, h('span', { i18n: 'plans.min_population' }), minPop),
      h('label', {}, h('span', { i18n: 'plans.scenario_file' }), file),
      go),
    bar, status);
}

function exportLinks(label) {
  return ['xlsx', 'gpkg', 'html'].map((f) => h('a', { href: `/api/plans/${encodeURIComponent(label)}/export?format=${f}`, download: '', 'data-format': f, class: 'file' }, f));
}

async function render(el, ctx) {
  await ensureMap();
  const listing = h('div');
  el.append(h('h2', { i18n: 'plans.title' }));
  // The form stays as it is while a finished run redraws the plans under it.
  if (MINISTRY.includes(role())) el.append(runForm(() => drawPlans(listing, ctx), ctx));
  el.append(listing);
  await drawPlans(listing, ctx);
}

function role() { return me().role; }

// The stored plans with their files, and the comparison of two of them.
async function drawPlans(el, ctx) {
  const plans = await ctx.api('/api/plans');
  el.replaceChildren();
  const table = h('div');
  el.append(table);
  if (!plans.length) { table.append(h('p', { class: 'muted', i18n: 'plans.none' })); return; }
  const files = EXPORTERS.includes(role());
  table.append(h('table', { 'data-testid': 'plans-table' },
    h('thead', {}, h('tr', {}, [...['plans.scenario', 'plans.created', 'plans.settlements', 'plans.capex'].map((k, i) => h('th', { class: i > 1 ? 'num' : null, i18n: k })),
      files ? h('th', { i18n: 'plans.exports' }) : null])),
    h('tbody', {}, plans.map((p) => h('tr', { 'data-plan': p.label },
      h('td', {}, p.label, h('div', { class: 'muted' }, techList(p.totals.settlements_by_technology))),
      h('td', {}, fmtDate(Date.parse(p.created_at) / 1000)),
      h('td', { class: 'num' }, fmtNumber(Object.values(p.totals.settlements_by_technology).reduce((a, b) => a + b, 0))),
      h('td', { class: 'num' }, usd(p.totals.capex_usd)),
      files ? h('td', { class: 'files' }, exportLinks(p.label)) : null)))));
  const pick = (name, i) => {
    const s = h('select', { name, 'data-testid': `compare-${name}` }, plans.map((p) => h('option', { value: p.label }, p.label)));
    s.value = plans[Math.min(i, plans.length - 1)].label;
    return s;
  };
  const a = pick('a', 1);
  const b = pick('b', 0);
  const out = h('div', { 'data-testid': 'compare-result' });
  const go = h('button', { type: 'button', class: 'primary', i18n: 'plans.compare', 'data-testid': 'compare-go', onclick: async () => {
    out.replaceChildren();
    const c = await ctx.api(`/api/plans/compare?a=${encodeURIComponent(a.value)}&b=${encodeURIComponent(b.value)}`);
    const rows = TOTALS.map(([k, f]) => [k, f]);
    for (const k of TECHS) if (c.totals[`settlements_${k}`]) rows.push([`settlements_${k}`, fmtNumber]);
    out.append(
      h('table', { 'data-testid': 'compare-totals' },
        h('thead', {}, h('tr', {}, h('th', {}), h('th', { class: 'num' }, c.a.label), h('th', { class: 'num' }, c.b.label), h('th', { class: 'num', i18n: 'plans.difference' }))),
        h('tbody', {}, rows.map(([k, f]) => {
          const [x, y] = c.totals[k] || [0, 0];
          const label = k.startsWith('settlements_') && k !== 'settlements_served' ? t('plans.settlements_by', { tech: t(`tech.${k.slice(12)}`) }) : t(`total.${k}`);
          return h('tr', { 'data-total': k }, h('td', {}, label), h('td', { class: 'num' }, f(x)), h('td', { class: 'num' }, f(y)),
            h('td', { class: 'num' }, (y - x > 0 ? '+' : '') + f(y - x)));
        }))),
      h('p', { 'data-testid': 'compare-count' }, t('plans.changed', { n: fmtNumber(c.changed_count) })),
      h('table', { 'data-testid': 'compare-changes' },
        h('thead', {}, h('tr', {}, ['plans.settlement', 'plans.people', 'plans.technology', 'plans.year'].map((k) => h('th', { i18n: k })))),
        h('tbody', {}, c.changed.slice(0, 100).map((ch) => h('tr', {},
          h('td', {}, h('a', { href: `#/settlement/${encodeURIComponent(ch.settlement_id)}` }, ch.settlement_id)),
          h('td', { class: 'num' }, fmtNumber(ch.people)),
          h('td', {}, `${ch.a ? t(`tech.${ch.a}`) : t('common.none')} → ${ch.b ? t(`tech.${ch.b}`) : t('common.none')}`),
          h('td', {}, `${ch.year_a ?? t('common.none')} → ${ch.year_b ?? t('common.none')}`))))));
  } });
  el.append(h('h3', { i18n: 'plans.compare_title' }),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'plans.first' }), a), h('label', {}, h('span', { i18n: 'plans.second' }), b), go), out);
}

registerSection({
  titleKey: 'plans.section',
  roles: null,
  async render(el, s, ctx) {
    let r;
    try {
      r = await ctx.api(`/api/plans/latest/settlements/${encodeURIComponent(s.id)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) { el.append(h('p', { class: 'muted', i18n: 'plans.not_in_plan' })); return; }
      throw e;
    }
    const fact = (k, v) => [h('dt', { i18n: k }), h('dd', {}, v === null || v === undefined || v === '' ? t('common.none') : v)];
    if (r.unserved) {
      el.append(h('p', { 'data-testid': 'plan-unserved' }, t('plans.unserved', { plan: r.plan.label })), h('p', { class: 'muted' }, r.unserved.reason));
      return;
    }
    const d = r.decision;
    el.append(h('dl', { class: 'facts', 'data-testid': 'plan-decision' },
      fact('plans.plan', r.plan.label),
      fact('plans.technology', t(`tech.${d.technology}`)),
      fact('plans.year', String(d.year)),
      fact('plans.operator', d.operator_id),
      fact('plans.people', fmtNumber(d.people)),
      fact('plans.capex', usd(d.capex_usd)),
      fact('plans.reason', d.reason)));
  },
});

registerPanel({ id: 'plans', titleKey: 'nav.plans', roles: null, nav: true, render });
