// Browser tests of the web UI in headless Debian chromium (playwright-core, no downloaded
// browser). The Rust harness (crates/auyl-cli/tests/web_e2e.rs) starts `auyl serve` on the demo
// data with one account per role and passes:
//   AUYL_URL        base URL of the server
//   AUYL_USERS      JSON {role: name}
//   AUYL_PASSWORD   the accounts' password
//   AUYL_AKIMAT_REGION  region code of the akimat officer
//   AUYL_CHROMIUM   the browser (default /usr/bin/chromium)
//   AUYL_ARTIFACTS  folder for screenshots
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.AUYL_URL;
const USERS = JSON.parse(process.env.AUYL_USERS || '{}');
const PASSWORD = process.env.AUYL_PASSWORD;
const REGION = process.env.AUYL_AKIMAT_REGION;
const EXE = process.env.AUYL_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.AUYL_ARTIFACTS || path.join(import.meta.dirname, '..', 'test-results');
const DICT = Object.fromEntries(['kk', 'ru', 'en'].map((l) => [l, JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'assets', 'i18n', `${l}.json`), 'utf8'))]));

let browser;

before(async () => {
  assert.ok(BASE, 'AUYL_URL is not set: run these through cargo test (crates/auyl-cli/tests/web_e2e.rs)');
  assert.ok(fs.existsSync(EXE), `the browser ${EXE} is missing: install Debian's chromium (scripts/test does)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: EXE,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-dev-shm-usage'],
  });
});

after(async () => { if (browser) await browser.close(); });

async function newPage(lang = 'en') {
  const context = await browser.newContext({ locale: lang === 'kk' ? 'kk-KZ' : lang === 'ru' ? 'ru-RU' : 'en-GB', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('sourcemap') && !m.text().includes('.map')) errors.push(m.text()); });
  await page.addInitScript((l) => localStorage.setItem('auyl.lang', l), lang);
  await page.goto(BASE);
  await page.waitForSelector('body[data-ready="true"]');
  return { page, context, errors };
}

async function login(page, role) {
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('#login-form input[name=name]', USERS[role]);
  await page.fill('#login-form input[name=password]', PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#login', { state: 'hidden' });
}

// Waits until the map has drawn settlements; returns what it holds and what it rendered.
async function mapState(page) {
  await page.waitForFunction(() => {
    const m = window.auylMap && window.auylMap.map;
    return m && m.loaded() && window.auylMap.settlements > 0 && m.queryRenderedFeatures({ layers: ['settlements'] }).length > 0;
  }, null, { timeout: 60000 });
  return page.evaluate(() => {
    const m = window.auylMap.map;
    const rendered = m.queryRenderedFeatures({ layers: ['settlements'] });
    return {
      held: window.auylMap.settlements,
      rendered: rendered.length,
      regions: [...new Set(rendered.map((f) => f.properties.region_code))],
      kinds: [...new Set(rendered.map((f) => f.properties.kind))],
      regionsDrawn: m.queryRenderedFeatures({ layers: ['regions-line'] }).length,
    };
  });
}

async function apiJson(page, p) {
  return page.evaluate(async (u) => (await fetch(u)).json(), p);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

test('each role signs in and sees the map with the demo settlements', async () => {
  for (const role of ['administrator', 'ministry_analyst', 'operator_engineer', 'akimat_officer', 'viewer']) {
    const { page, context, errors } = await newPage('en');
    await login(page, role);
    const st = await mapState(page);
    const api = await apiJson(page, '/api/settlements');
    assert.equal(st.held, api.features.length, `${role}: the map holds what the API gives`);
    assert.ok(st.rendered > 0 && st.regionsDrawn > 0, `${role}: drawn ${JSON.stringify(st)}`);
    if (role === 'akimat_officer') {
      assert.ok(st.held < api.total_in_registry, 'the akimat sees part of the registry');
      assert.deepEqual(st.regions, [REGION], 'only its region is drawn');
    } else {
      assert.equal(st.held, api.total_in_registry, `${role} sees every settlement`);
      assert.ok(st.regions.length > 5, `${role}: many regions drawn`);
    }
    const nav = await page.$$eval('#nav a', (as) => as.map((a) => a.dataset.panel));
    assert.equal(nav.includes('users'), role === 'administrator', `${role}: users menu ${nav}`);
    const who = await page.textContent('#whoami');
    assert.ok(who.includes(USERS[role]) && who.includes(DICT.en[`role.${role}`]), who);
    await shot(page, `map-${role}`);
    assert.deepEqual(errors, [], `${role}: page errors`);
    await context.close();
  }
});

test('a wrong password is refused with a translated message', async () => {
  const { page, context } = await newPage('ru');
  await page.fill('#login-form input[name=name]', USERS.viewer);
  await page.fill('#login-form input[name=password]', 'not the password');
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
  assert.equal(await page.textContent('#login-error'), DICT.ru['auth.failed']);
  await context.close();
});

test('filters by kind and minimum population narrow the map', async () => {
  const { page, context } = await newPage('en');
  await login(page, 'ministry_analyst');
  const before = await mapState(page);
  for (const k of ['town', 'village', 'hamlet', 'isolated_dwelling', 'unknown']) {
    await page.uncheck(`[data-testid=filter-kinds] input[value=${k}]`);
  }
  const cities = await apiJson(page, '/api/settlements?kind=city');
  await page.waitForFunction((n) => window.auylMap.settlements === n, cities.features.length);
  const st = await mapState(page);
  assert.ok(st.held < before.held, `${st.held} < ${before.held}`);
  assert.deepEqual(st.kinds, ['city']);
  const big = await apiJson(page, '/api/settlements?kind=city&min_population=100000');
  await page.fill('[data-testid=filter-min-population]', '100000');
  await page.waitForFunction((n) => window.auylMap.settlements === n, big.features.length);
  assert.ok(big.features.length > 0 && big.features.length < cities.features.length);
  const shown = await page.textContent('[data-testid=shown-count]');
  assert.ok(shown.includes(String(big.features.length)), shown);
  await shot(page, 'filter-cities');
  await context.close();
});

test('search finds a settlement and its page opens', async () => {
  const { page, context } = await newPage('en');
  await login(page, 'viewer');
  await mapState(page);
  await page.fill('[data-testid=search]', 'Semey');
  await page.waitForSelector('[data-testid=results] li a');
  const first = await page.textContent('[data-testid=results] li a');
  assert.ok(first.includes('Semey'), first);
  await page.click('[data-testid=results] li a');
  await page.waitForSelector('[data-testid=settlement-name]');
  assert.equal(await page.textContent('[data-testid=settlement-name]'), 'Semey');
  assert.match(page.url(), /#\/settlement\//);
  const facts = await page.textContent('[data-testid=settlement-facts]');
  assert.ok(facts.includes(DICT.en['kind.city']), facts);
  assert.ok(facts.includes((310456).toLocaleString('en-GB')), facts);
  await shot(page, 'settlement-semey');
  await context.close();
});

test('the akimat officer cannot open a settlement outside its region', async () => {
  const { page, context } = await newPage('en');
  await login(page, 'akimat_officer');
  await mapState(page);
  const resp = await page.evaluate(async () => {
    const r = await fetch('/api/settlements/osm:n5130957141');
    return { status: r.status, body: await r.json() };
  });
  assert.ok([403, 404].includes(resp.status), JSON.stringify(resp));
  await context.close();
});

// Visible text of the page (not inside the map canvas).
async function visibleTexts(page) {
  return page.evaluate(() => {
    const out = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) {
      const n = walk.currentNode;
      const el = n.parentElement;
      if (!el || el.closest('[hidden]') || el.closest('.maplibregl-ctrl') || !n.textContent.trim()) continue;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      out.push(n.textContent.trim());
    }
    return out;
  });
}

test('switching language translates the page, is remembered, and formats numbers', async () => {
  const { page, context } = await newPage('en');
  await login(page, 'ministry_analyst');
  await mapState(page);
  for (const lang of ['kk', 'ru', 'en']) {
    await page.selectOption('#lang', lang);
    await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    await page.waitForFunction((want) => document.querySelector('#nav a[data-panel=map]').textContent === want, DICT[lang]['nav.map']);
    assert.equal(await page.title(), DICT[lang]['app.title']);
    const total = (await apiJson(page, '/api/settlements')).total_in_registry;
    const formatted = await page.evaluate(([n, l]) => new Intl.NumberFormat(l).format(n), [total, { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB' }[lang]]);
    await page.waitForFunction((f) => document.querySelector('[data-testid=shown-count]').textContent.includes(f), formatted);
    // No text of another language is left on screen.
    const texts = await visibleTexts(page);
    for (const other of ['kk', 'ru', 'en'].filter((l) => l !== lang)) {
      for (const [k, v] of Object.entries(DICT[other])) {
        if (v === DICT[lang][k] || v.length < 4 || Object.values(DICT[lang]).includes(v)) continue;
        assert.ok(!texts.includes(v), `${lang}: "${v}" (${other} ${k}) is on screen`);
      }
    }
    await shot(page, `language-${lang}`);
  }
  await page.selectOption('#lang', 'ru');
  await page.waitForFunction(() => document.documentElement.lang === 'ru');
  // Remembered across a reload (a new page in the same browser profile).
  const again = await context.newPage();
  await again.goto(BASE);
  await again.waitForSelector('body[data-ready="true"]');
  assert.equal(await again.evaluate(() => document.documentElement.lang), 'ru');
  assert.equal(await again.textContent('#nav a[data-panel=map]'), DICT.ru['nav.map']);
  await context.close();
});

test('the summary panel lists the regions with localised numbers', async () => {
  const { page, context } = await newPage('ru');
  await login(page, 'ministry_analyst');
  await mapState(page);
  await page.click('#nav a[data-panel=summary]');
  await page.waitForSelector('[data-testid=summary-table] tbody tr');
  const sum = await apiJson(page, '/api/registry/summary');
  const rows = await page.$$eval('[data-testid=summary-table] tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(rows.length, sum.regions.length + 1);
  const total = rows[rows.length - 1];
  assert.equal(total[0], DICT.ru['summary.total']);
  assert.equal(total[1], new Intl.NumberFormat('ru-RU').format(sum.total.settlements));
  await shot(page, 'summary-ru');
  await context.close();
});
