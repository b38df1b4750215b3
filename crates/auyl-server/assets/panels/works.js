// Tracking: the works of a settlement (a section of the settlement page) and of the caller's
// organisation (the works panel), each editable in place with its version (a 409 shows the
// stored work); the organisation's workbook to download and upload, with refused rows listed.
import { registerPanel, h, me, api, ApiError } from '../app.js';
import { t, fmtNumber, fmtDay } from '../i18n.js';
import { registerSection } from './settlement.js';
import { ensureMap } from './map.js';

export const STATUSES = ['planned', 'in_progress', 'blocked', 'done', 'accepted'];
export const REASONS = ['land', 'electricity', 'permits', 'equipment', 'weather', 'financing'];
const EDITOR_ROLES = ['administrator', 'ministry_analyst', 'operator_engineer', 'akimat_officer'];

const dateText = fmtDay;

function blockerText(b) {
  return t('works.blocker_line', { reason: t(`blocker.${b.reason}`), who: b.who_must_act, since: dateText(b.since) });
}

// One work as a card; editable works get a status form. onChange(work) after a save.
function workCard(w, onChange) {
  const box = h('div', { class: 'work', 'data-work': w.id, 'data-status': w.status });
  const draw = (work) => {
    box.dataset.status = work.status;
    box.replaceChildren(...[
      h('div', { class: 'work-head' },
        h('strong', {}, t(`work_kind.${work.kind}`)),
        h('span', { class: `badge status-${work.status}`, 'data-testid': 'work-status' }, t(`status.${work.status}`)),
        work.overdue ? h('span', { class: 'badge-late', i18n: 'works.overdue' }) : null),
      h('div', { class: 'muted' }, t('works.responsible', { who: work.responsible_id })),
      h('div', { class: 'muted' }, t('works.planned', { start: dateText(work.planned_start), finish: dateText(work.planned_finish) })),
      work.actual_start ? h('div', { class: 'muted' }, t('works.actual', { start: dateText(work.actual_start), finish: dateText(work.actual_finish) })) : null,
      work.blocker ? h('div', { class: 'blocker' }, blockerText(work.blocker), work.blocker.note ? ` · ${work.blocker.note}` : '') : null,
      work.comment ? h('div', {}, work.comment) : null,
      work.editable ? editForm(work, (saved) => { draw(saved); if (onChange) onChange(saved); }) : null,
      historyLink(work),
    ].filter(Boolean));
  };
  draw(w);
  return box;
}

function historyLink(work) {
  const list = h('ul', { class: 'history', hidden: true });
  const a = h('button', { type: 'button', class: 'link', i18n: 'works.history', onclick: async () => {
    if (!list.hidden) { list.hidden = true; return; }
    const entries = await api(`/api/works/history?id=${encodeURIComponent(work.id)}`);
    list.replaceChildren(...entries.map((e) => h('li', {}, `${e.at.slice(0, 10)} · ${e.who} · ${e.field}: ${e.old || t('common.none')} → ${e.new || t('common.none')}`)));
    if (!entries.length) list.append(h('li', { class: 'muted', i18n: 'works.no_history' }));
    list.hidden = false;
  } });
  return h('div', {}, a, list);
}

function editForm(work, saved) {
  const status = h('select', { name: 'status', 'data-testid': 'work-status-select' },
    [work.status, ...work.next_statuses].map((s) => h('option', { value: s }, t(`status.${s}`))));
  const reason = h('select', { name: 'reason' }, REASONS.map((r) => h('option', { value: r }, t(`blocker.${r}`))));
  const reasonLabel = h('label', { hidden: true }, h('span', { i18n: 'works.reason' }), reason);
  const comment = h('input', { name: 'comment', value: work.comment, 'data-testid': 'work-comment' });
  const msg = h('p', { class: 'error', role: 'alert' });
  status.addEventListener('change', () => { reasonLabel.hidden = status.value !== 'blocked' || work.status === 'blocked'; });
  const save = h('button', { type: 'submit', class: 'primary', i18n: 'works.save', 'data-testid': 'work-save' });
  const form = h('form', { class: 'work-form' },
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'works.status' }), status), reasonLabel),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'works.comment' }), comment)),
    save, msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    const body = { work_id: work.id, version: work.version };
    if (status.value !== work.status) body.status = status.value;
    if (status.value === 'blocked' && work.status !== 'blocked') body.blocker = { reason: reason.value, note: comment.value };
    if (comment.value !== work.comment) body.comment = comment.value;
    try {
      const r = await api('/api/works', { method: 'PATCH', body });
      saved(r.work);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'conflict' && e.details && e.details.current) {
        msg.textContent = t('works.conflict');
        saved(e.details.current);
        return;
      }
      msg.textContent = t('works.refused', { message: e.message });
    }
  });
  return form;
}

registerSection({
  titleKey: 'works.title',
  roles: null,
  async render(el, s, ctx) {
    const list = await ctx.api(`/api/works?settlement=${encodeURIComponent(s.id)}`);
    if (!list.works.length) { el.append(h('p', { class: 'muted', i18n: 'works.none' })); return; }
    el.append(h('div', { 'data-testid': 'settlement-works' }, list.works.map((w) => workCard(w))));
  },
});

function rowErrors(rows) {
  return h('table', { 'data-testid': 'upload-errors' },
    h('thead', {}, h('tr', {}, ['works.row', 'works.column', 'works.problem'].map((k) => h('th', { i18n: k })))),
    h('tbody', {}, rows.map((r) => h('tr', {}, h('td', { class: 'num' }, fmtNumber(r.row)), h('td', {}, r.column), h('td', {}, r.message)))));
}

// Download and upload of the organisation's workbook.
function workbookBox(ctx, orgs) {
  const out = h('div', { 'data-testid': 'upload-result' });
  const own = !orgs;
  const org = own ? null : h('select', { name: 'org', 'data-testid': 'template-org' }, orgs.map((o) => h('option', { value: o }, o)));
  const link = h('a', { class: 'button', 'data-testid': 'template-download', i18n: 'works.download', download: '' });
  const setHref = () => { link.href = org ? `/api/tracking/template?org=${encodeURIComponent(org.value)}` : '/api/tracking/template'; };
  setHref();
  if (org) org.addEventListener('change', setHref);
  const file = h('input', { type: 'file', accept: '.xlsx', name: 'workbook', 'data-testid': 'upload-file' });
  file.addEventListener('change', async () => {
    out.replaceChildren();
    const f = file.files[0];
    if (!f) return;
    try {
      const r = await api('/api/tracking/upload', { method: 'POST', raw: await f.arrayBuffer(), contentType: 'application/octet-stream' });
      out.append(h('p', { class: 'ok', 'data-testid': 'upload-ok' }, t('works.uploaded', { rows: fmtNumber(r.rows_changed), fields: fmtNumber(r.changes.length) })));
      document.dispatchEvent(new CustomEvent('auyl:works-changed'));
    } catch (e) {
      const rows = (e.details && e.details.rows) || [];
      const message = rows.length ? t('works.rows_refused', { n: fmtNumber(rows.length) }) : e.message;
      out.append(h('p', { class: 'error', role: 'alert', 'data-testid': 'upload-error' }, t(e.code === 'conflict' ? 'works.upload_stale' : 'works.upload_refused', { message })));
      if (e.details && e.details.rows) out.append(rowErrors(e.details.rows));
    }
    file.value = '';
  });
  return h('section', {}, h('h3', { i18n: 'works.workbook' }),
    org ? h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'works.organisation' }), org)) : null,
    h('div', { class: 'row' }, link),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'works.upload' }), file)),
    out);
}

async function render(el, ctx) {
  await ensureMap();
  const user = me();
  const ministry = ['administrator', 'ministry_analyst'].includes(user.role);
  const filter = h('select', { name: 'status', 'data-testid': 'works-filter' },
    h('option', { value: 'open', i18n: 'works.open' }),
    h('option', { value: '', i18n: 'works.all_statuses' }), STATUSES.map((s) => h('option', { value: s }, t(`status.${s}`))));
  filter.value = 'open';
  const count = h('p', { class: 'muted', 'data-testid': 'works-count' });
  const list = h('div', { 'data-testid': 'works-list' });
  const load = async () => {
    const q = new URLSearchParams({ limit: '200' });
    if (!ministry) q.set('editable', 'true');
    if (filter.value === 'open') q.set('open', 'true');
    else if (filter.value) q.set('status', filter.value);
    const r = await api(`/api/works?${q}`);
    count.textContent = t('works.count', { shown: fmtNumber(r.works.length), matched: fmtNumber(r.matched) });
    list.replaceChildren(...r.works.map((w) => workCard(w)));
  };
  filter.addEventListener('change', load);
  let orgs = null;
  if (ministry) {
    const all = await ctx.api('/api/organisations');
    orgs = all.filter((o) => o.kind === 'operator' || o.kind === 'akimat').map((o) => o.id);
  }
  el.append(h('h2', { i18n: 'works.my_title' }), workbookBox(ctx, orgs),
    h('h3', { i18n: 'works.list' }), h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'works.status' }), filter)), count, list);
  await load();
}

registerPanel({ id: 'works', titleKey: 'nav.works', roles: EDITOR_ROLES, nav: true, render });
