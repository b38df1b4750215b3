// Accounts (administrators): list, create with role and scope, delete.
import { registerPanel, h, me } from '../app.js';
import { t, fmtDate, pickName, lang } from '../i18n.js';
import { ensureMap, regionsFC } from './map.js';

const ROLES = ['administrator', 'ministry_analyst', 'operator_engineer', 'akimat_officer', 'viewer'];

async function render(el, ctx) {
  const [users, orgs, regs] = await Promise.all([ctx.api('/api/users'), ctx.api('/api/organisations'), regionsFC(), ensureMap()]);
  const operators = orgs.filter((o) => o.kind === 'operator');
  const regionName = (code) => {
    const f = regs.features.find((x) => x.properties.code === code);
    return f ? f.properties[`name_${lang()}`] : code;
  };
  const table = h('table', { 'data-testid': 'users-table' },
    h('thead', {}, h('tr', {}, ['auth.name', 'users.role', 'users.scope', 'users.created', ''].map((k) => h('th', k ? { i18n: k } : {})))),
    h('tbody', {}, users.map((u) => h('tr', {},
      h('td', {}, u.name),
      h('td', {}, t(`role.${u.role}`)),
      h('td', {}, u.organisation_id ? pickName((operators.find((o) => o.id === u.organisation_id) || {}).names) || u.organisation_id : (u.region_code ? regionName(u.region_code) : '')),
      h('td', {}, fmtDate(u.created_at_s)),
      h('td', {}, u.name === me().name ? '' : h('button', { type: 'button', class: 'link', i18n: 'users.delete', onclick: async () => {
        if (!confirm(t('users.confirm_delete', { name: u.name }))) return;
        await ctx.api(`/api/users/${encodeURIComponent(u.name)}`, { method: 'DELETE' });
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      } }))))));
  const role = h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r, i18n: `role.${r}` })));
  const org = h('select', { name: 'organisation_id' }, operators.map((o) => h('option', { value: o.id }, pickName(o.names) || o.id)));
  const region = h('select', { name: 'region_code' }, regs.features.map((f) => h('option', { value: f.properties.code }, f.properties[`name_${lang()}`] || f.properties.code)));
  const orgLabel = h('label', {}, h('span', { i18n: 'users.organisation' }), org);
  const regionLabel = h('label', {}, h('span', { i18n: 'users.region' }), region);
  const sync = () => { orgLabel.hidden = role.value !== 'operator_engineer'; regionLabel.hidden = role.value !== 'akimat_officer'; };
  role.addEventListener('change', sync);
  sync();
  const err = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { 'data-testid': 'user-form' },
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'auth.name' }), h('input', { name: 'name', required: true }))),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'auth.password' }), h('input', { name: 'password', type: 'password', minlength: '8', required: true, autocomplete: 'new-password' }))),
    h('div', { class: 'row' }, h('label', {}, h('span', { i18n: 'users.role' }), role)),
    h('div', { class: 'row' }, orgLabel, regionLabel),
    err,
    h('button', { type: 'submit', class: 'primary', i18n: 'users.add' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { name: form.name.value, password: form.password.value, role: role.value };
    if (role.value === 'operator_engineer') body.organisation_id = org.value;
    if (role.value === 'akimat_officer') body.region_code = region.value;
    try {
      await ctx.api('/api/users', { method: 'POST', body });
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (e) {
      err.textContent = t(e.code === 'conflict' ? 'users.name_taken' : 'users.invalid', { message: e.message });
    }
  });
  el.append(h('h2', { i18n: 'users.title' }), table, h('h3', { i18n: 'users.add' }), form);
}

registerPanel({ id: 'users', titleKey: 'nav.users', roles: ['administrator'], nav: true, render });
