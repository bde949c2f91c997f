// The dashboard in a real browser (Debian's chromium, driven by puppeteer-core): it loads clean,
// shows what a test put into the fake, follows the journal and the fault rules live, shows markup
// as text, pages through a large queue, shows key-value store records (JSON and markup as text,
// binary for download) and pages through a dataset's items, and asks for --admin-token. Screenshots are written to
// UI_SCREENSHOT_DIR (the build tree's ui-screenshots/ under ctest).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
    TOKEN, apiOf, launchBrowser, openDashboard, openPage, press, screenshot, startFake, texts,
    waitForRefreshes, waitForText,
} from './helpers.mjs';

let browser;
let fake;
let api;

before(async () => {
    // Rate limits off: the large-queue test adds 5,000 requests as fast as it can.
    fake = await startFake(['--no-rate-limit']);
    api = apiOf(fake.url);
    browser = await launchBrowser();
});

after(async () => {
    if (browser) await browser.close();
    if (fake) await fake.stop();
});

describe('dashboard', () => {
    it('loads at / and /__admin/ui/ with a strict CSP and no console errors', async () => {
        const { page, problems, close } = await openPage(browser);
        try {
            for (const at of ['/', '/__admin/ui/']) {
                const res = await page.goto(fake.url + at, { waitUntil: 'domcontentloaded' });
                assert.equal(res.status(), 200);
                const csp = res.headers()['content-security-policy'] || '';
                assert.match(csp, /default-src 'self'/);
                assert.match(csp, /script-src 'self'/);
                assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
                await page.waitForSelector('body[data-ready="1"]', { timeout: 15000 });
                assert.ok(await page.$('[data-test=storages] [data-test=storages-requestQueues]'), 'the storages view lists request queues');
                // No --admin-token: the token form is not shown (hidden must win over its display: flex).
                assert.equal(await page.$eval('[data-test=token-form]', (e) => getComputedStyle(e).display), 'none');
            }
            // Every tab renders, then the page idles through a few live refreshes.
            for (const tab of ['journal', 'faults', 'report', 'storages']) {
                await press(page, `[data-tab=${tab}]`);
                await page.waitForFunction((t) => document.body.dataset.view === t, {}, tab);
            }
            await waitForRefreshes(page, 6);  // the live header six times, the storages view three
            assert.deepEqual(problems, []);
            assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
            await screenshot(page, 'empty-storages');
        } finally {
            await close();
        }
    });

    it('shows a queue created by the test with its requests in each state', async () => {
        const { page, problems, close } = await openPage(browser);
        try {
            await openDashboard(page, fake.url, '#/storages');
            // Created after the page loaded: the live refresh must bring it in.
            const q = await api.createQueue('ui-crawl');
            const urls = ['a', 'b', 'c', 'd', 'e'].map((s) => 'https://shop.example.com/products/' + s);
            await api.batch(q.id, urls.map((url) => ({ url, uniqueKey: url, userData: { label: 'DETAIL', n: url.length } })));
            const locked = await api.headAndLock(q.id, 2, 'crawler-7', 600);
            assert.equal(locked.items.length, 2);
            // The head is c now (a and b are locked); marking it handled keeps its userData.
            await api.update(q.id, { id: (await api.call('GET', `/v2/request-queues/${q.id}/head?limit=1`)).items[0].id,
                url: urls[2], uniqueKey: urls[2], userData: { label: 'DETAIL', n: urls[2].length }, handledAt: new Date().toISOString() });
            const row = `[data-test=queue-row][data-queue="${q.id}"]`;
            await page.waitForSelector(row, { timeout: 10000 });
            // The row may first come from a refresh between the lock and the update: wait for the
            // refresh after the last write (the counts are asserted below, whatever the wait saw).
            const want = ['5', '2', '2', '1'];
            let cells = [];
            for (const start = Date.now(); Date.now() - start < 10000; await new Promise((r) => setTimeout(r, 50))) {
                cells = await texts(page, row + ' td');
                if (JSON.stringify(cells.slice(2, 6)) === JSON.stringify(want)) break;
            }
            assert.equal(cells[0], 'ui-crawl');
            assert.deepEqual(cells.slice(2, 6), want, 'total, pending, locked, handled');
            await press(page, row + ' [data-test=queue-link]');
            await page.waitForSelector('[data-test=requests-table]');
            assert.deepEqual(await texts(page, '[data-test^=count-]'), ['2', '2', '1', '5']);
            // Pending in queue order: d then e (a, b locked; c handled).
            assert.deepEqual(await texts(page, '[data-test=request-row] [data-test=url]'), [urls[3], urls[4]]);
            // Locked: by whom and until when.
            await press(page, '[data-test=chip-locked]');
            await page.waitForFunction(() => location.hash.includes('state=locked') && document.querySelector('[data-test=lock-client]'));
            assert.deepEqual(await texts(page, '[data-test=lock-client]'), ['crawler-7', 'crawler-7']);
            const expiry = await texts(page, '[data-test=request-row] td:nth-child(8)');
            for (const t of expiry) assert.match(t, /^in (59\d|600) s$/);
            // Handled, and a request's full JSON.
            await press(page, '[data-test=chip-handled]');
            await page.waitForFunction(() => location.hash.includes('state=handled') && document.querySelectorAll('[data-test=request-row]').length === 1);
            await press(page, '[data-test=request-row]');
            await page.waitForSelector('[data-test=detail]:not([hidden]) [data-test=json]');
            const json = JSON.parse(await page.$eval('[data-test=detail] [data-test=json]', (e) => e.textContent));
            assert.equal(json.url, urls[2]);
            assert.deepEqual(json.userData, { label: 'DETAIL', n: urls[2].length });
            assert.ok(json.handledAt);
            await press(page, '[data-test=chip-pending]');
            await page.waitForFunction(() => location.hash.includes('state=pending') && document.querySelectorAll('[data-test=request-row]').length === 2);
            // A filter runs on the server.
            await page.type('[data-test=contains]', 'products/e');
            await press(page, '[data-test=filter]');
            await page.waitForFunction(() => location.hash.includes('contains=') && document.querySelectorAll('[data-test=request-row]').length === 1);
            assert.deepEqual(await texts(page, '[data-test=request-row] [data-test=url]'), [urls[4]]);
            await press(page, '[data-test=request-row]');
            await page.waitForSelector('[data-test=detail]:not([hidden]) [data-test=json]');
            await screenshot(page, 'queue-view');
            assert.deepEqual(problems, []);
        } finally {
            await close();
        }
    });

    it('tails the journal: an entry appears after a call, and opens its details', async () => {
        const { page, problems, close } = await openPage(browser);
        try {
            await openDashboard(page, fake.url, '#/journal');
            const q = await api.createQueue('ui-journal');
            const marker = 'https://journal.example.com/' + Date.now();
            await api.add(q.id, { url: marker, uniqueKey: marker }, '?clientKey=tail-client');
            const path = `/v2/request-queues/${q.id}/requests`;
            const selector = '[data-test=journal-row]';
            await page.waitForFunction((p) => [...document.querySelectorAll('[data-test=journal-row] td:nth-child(4)')].some((td) => td.textContent === p), { timeout: 10000 }, path);
            const rows = await page.$$eval(selector, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
            const mine = rows.find((r) => r[3] === path);
            assert.equal(mine[2], 'POST');
            assert.equal(mine[4], '201');
            assert.equal(mine[5], 'requestQueue_requests_post');
            assert.equal(mine[6], 'tail-client');
            // Filter on the server by clientKey: only the matching entry stays.
            await page.type('[data-test=filter-client]', 'tail-client');
            await press(page, '[data-test=filter]');
            await page.waitForFunction(() => location.hash.includes('clientKey=tail-client') && document.querySelectorAll('[data-test=journal-row]').length === 1);
            await press(page, '[data-test=journal-row]');
            await page.waitForSelector('[data-test=detail]:not([hidden]) [data-test=entry-headers]');
            const headers = await page.$$eval('[data-test=entry-headers] tbody tr', (trs) => trs.map((tr) => [tr.children[0].textContent, tr.children[1].textContent]));
            const auth = headers.find(([k]) => k.toLowerCase() === 'authorization');
            assert.deepEqual(auth && auth[1], 'Bearer REDACTED', 'the token is redacted');
            const entry = JSON.parse(await page.$eval('[data-test=detail] [data-test=json]', (e) => e.textContent));
            assert.match(entry.bodyDigest, /^[0-9a-f]{16}$/);
            assert.deepEqual(entry.itemKeys, [marker]);
            assert.ok(!JSON.stringify(entry).includes(TOKEN), 'the token appears nowhere');
            await screenshot(page, 'journal');
            assert.deepEqual(problems, []);
        } finally {
            await close();
        }
    });

    it('adds a fault rule from the page, counts its fires live, and removes it', async () => {
        const { page, problems, close } = await openPage(browser);
        try {
            await openDashboard(page, fake.url, '#/faults');
            await page.type('[data-test=rule-text]', '503@first=2:add');
            await press(page, '[data-test=add-rule]');
            const rule = '[data-test=rule-row][data-rule="503@first=2:add"]';
            await page.waitForSelector(rule, { timeout: 5000 });
            assert.equal(await page.$eval(rule + ' [data-test=rule-fires]', (e) => e.textContent), '0');
            const q = await api.createQueue('ui-faults');
            const statuses = [];
            for (let i = 0; i < 3; i++) {
                const res = await fetch(`${fake.url}/v2/request-queues/${q.id}/requests`, {
                    method: 'POST', headers: { Authorization: 'Bearer ' + TOKEN, 'Content-Type': 'application/json' },
                    body: JSON.stringify({ url: 'https://f.example.com/' + i, uniqueKey: 'f' + i }),
                });
                statuses.push(res.status);
            }
            assert.deepEqual(statuses, [503, 503, 201]);
            await waitForText(page, rule + ' [data-test=rule-fires]', (t) => t === '2');
            // A refresh that read the rules between the second call and the third shows 2 calls
            // for a moment: wait for the next one rather than read the count once.
            await waitForText(page, rule + ' [data-test=rule-calls]', (t) => t === '3');
            // The fault log links to the journal entry of each fire.
            await page.waitForSelector('[data-test=fault-log] a[href^="#/journal/"]');
            await screenshot(page, 'faults');
            await press(page, rule + ' [data-test=remove-rule]');
            await page.waitForFunction((sel) => !document.querySelector(sel), { timeout: 5000 }, rule);
            const rules = await (await fetch(fake.url + '/__admin/faults')).json();
            assert.deepEqual(rules.data.rules, []);
            assert.deepEqual(problems, []);
        } finally {
            await close();
        }
    });

    it('links compliance findings to the journal entries they name', async () => {
        const { page, problems, close } = await openPage(browser);
        try {
            const q = await api.createQueue('ui-report');
            // A batch with the same uniqueKey twice is refused (400), and is a finding of this client.
            const res = await fetch(`${fake.url}/v2/request-queues/${q.id}/requests/batch?clientKey=dup-client`, {
                method: 'POST', headers: { Authorization: 'Bearer ' + TOKEN, 'Content-Type': 'application/json' },
                body: JSON.stringify([{ url: 'https://r.example.com/1', uniqueKey: 'same' }, { url: 'https://r.example.com/2', uniqueKey: 'same' }]),
            });
            assert.equal(res.status, 400);
            await openDashboard(page, fake.url, '#/report');
            // Earlier tests left findings of other clients: take this client's.
            const link = '[data-test=finding][data-client="dup-client"][data-rule="request.batch_duplicate_keys"] [data-test=finding-seq]';
            await page.waitForSelector(link, { timeout: 10000 });
            const seq = Number((await page.$eval(link, (a) => a.getAttribute('href'))).split('/').pop());
            assert.ok(seq > 0);
            await press(page, link);
            await page.waitForSelector('[data-test=detail]:not([hidden]) [data-test=entry-findings]');
            const entry = JSON.parse(await page.$eval('[data-test=detail] [data-test=json]', (e) => e.textContent));
            assert.equal(entry.seq, seq);
            assert.equal(entry.clientKey, 'dup-client');
            assert.ok(entry.findings.some((f) => f.startsWith('request.batch_duplicate_keys:')), JSON.stringify(entry.findings));
            assert.match(await page.evaluate(() => location.hash), new RegExp('^#/journal/' + seq + '$'));
            assert.deepEqual(problems, []);
        } finally {
            await close();
        }
    });

    it('shows markup in a URL, uniqueKey and userData as text and never runs it', async () => {
        const { page, problems, close } = await openPage(browser);
        try {
            let fired = 0;
            await page.exposeFunction('rqXss', () => { fired++; });
            const q = await api.createQueue('ui-xss');
            const url = 'https://evil.example.com/?q=<img src=x onerror="rqXss()">';
            const uniqueKey = '<script>rqXss()</script><b>bold</b>';
            const userData = { html: '<img src=x onerror=rqXss()><svg onload=rqXss()>' };
            await api.add(q.id, { url, uniqueKey, userData });
            await openDashboard(page, fake.url, '#/queue/' + q.id);
            await page.waitForSelector('[data-test=request-row]');
            assert.deepEqual(await texts(page, '[data-test=request-row] [data-test=url]'), [url]);
            assert.deepEqual(await texts(page, '[data-test=request-row] [data-test=unique-key]'), [uniqueKey]);
            await press(page, '[data-test=request-row]');
            await page.waitForSelector('[data-test=detail]:not([hidden]) [data-test=json]');
            const json = JSON.parse(await page.$eval('[data-test=detail] [data-test=json]', (e) => e.textContent));
            assert.deepEqual(json.userData, userData);
            // The journal shows the same call; its path and keys are text too.
            await press(page, '[data-tab=journal]');
            await page.waitForSelector('[data-test=journal-row]');
            await press(page, '[data-test=journal-row]');
            await page.waitForSelector('[data-test=detail]:not([hidden]) [data-test=json]');
            await waitForRefreshes(page, 3);
            // No element was made from the data, and nothing ran.
            const made = await page.evaluate(() => ({
                img: document.querySelectorAll('main img, aside img').length,
                script: document.querySelectorAll('main script, aside script').length,
                svg: document.querySelectorAll('main svg, aside svg').length,
                b: document.querySelectorAll('main b:not(.chip b), aside b').length,
            }));
            assert.deepEqual(made, { img: 0, script: 0, svg: 0, b: 0 });
            assert.equal(fired, 0, 'no handler from the data ran');
            assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
            await screenshot(page, 'markup-as-text');
            assert.deepEqual(problems, []);
        } finally {
            await close();
        }
    });

    it('shows key-value stores and datasets: records as text or for download, items paged', async () => {
        const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'rq-ui-downloads-'));
        const { page, problems, close } = await openPage(browser, { downloadBehavior: { policy: 'allow', downloadPath: downloads } });
        try {
            let fired = 0;
            await page.exposeFunction('rqXss', () => { fired++; });
            const store = await api.createStore('ui-store');
            const json = { title: 'Result', tags: ['a', 'b'], html: '<b>not bold</b><img src=x onerror="rqXss()">' };
            const markup = '<img src=x onerror="rqXss()"><script>rqXss()</script><svg onload="rqXss()"></svg>';
            const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10, 0x80, 0x3c, 0x62, 0x3e]);
            await api.putRecord(store.id, 'OUTPUT', JSON.stringify(json), 'application/json; charset=utf-8');
            await api.putRecord(store.id, 'page.html', markup, 'text/html');
            await api.putRecord(store.id, 'shot.png', binary, 'image/png');
            const dataset = await api.createDataset('ui-results');
            const n = 1200;
            const item = (i) => ({ n: i, url: 'https://shop.example.com/p/' + i, title: '<i>item ' + i + '</i>' });
            await api.pushItems(dataset.id, Array.from({ length: n }, (_, i) => item(i)));

            await openDashboard(page, fake.url, '#/storages');
            const kvsRow = `[data-test=kvs-row][data-store="${store.id}"]`;
            const dsRow = `[data-test=dataset-row][data-dataset="${dataset.id}"]`;
            await page.waitForSelector(kvsRow, { timeout: 10000 });
            await page.waitForSelector(dsRow, { timeout: 10000 });
            const kvsCells = await texts(page, kvsRow + ' td');
            assert.deepEqual([kvsCells[0], kvsCells[1], kvsCells[2]], ['ui-store', store.id, '3']);
            const dsCells = await texts(page, dsRow + ' td');
            assert.deepEqual([dsCells[0], dsCells[1], dsCells[2]], ['ui-results', dataset.id, '1,200']);
            assert.match(await page.$eval('[data-test=counters]', (e) => e.textContent), /1 key-value stores · 1 datasets/);
            await screenshot(page, 'storages');

            // The store: its keys with sizes and content types.
            await press(page, kvsRow + ' [data-test=kvs-link]');
            await page.waitForSelector('[data-test=keys-table]');
            assert.deepEqual(await texts(page, '[data-test=key-row] [data-test=key]'), ['OUTPUT', 'page.html', 'shot.png']);
            assert.deepEqual(await texts(page, '[data-test=key-row] [data-test=key-type]'), ['application/json; charset=utf-8', 'text/html', 'image/png']);
            assert.deepEqual(await texts(page, '[data-test=key-row] [data-test=key-size]'),
                [Buffer.byteLength(JSON.stringify(json)) + ' B', Buffer.byteLength(markup) + ' B', binary.length + ' B']);
            // The JSON record, pretty-printed as text.
            await press(page, '[data-test=key-row][data-key=OUTPUT]');
            await page.waitForSelector('[data-test=detail]:not([hidden]) [data-test=record-preview][data-kind=json]');
            const shown = await page.$eval('[data-test=record-preview]', (e) => e.textContent);
            assert.deepEqual(JSON.parse(shown), json);
            assert.equal(shown, JSON.stringify(json, null, 2));
            // The markup record: its text exactly, no element made from it.
            await press(page, '[data-test=key-row][data-key="page.html"]');
            await page.waitForSelector('[data-test=detail]:not([hidden]) [data-test=record-preview][data-kind=text]');
            assert.equal(await page.$eval('[data-test=record-preview]', (e) => e.textContent), markup);
            await screenshot(page, 'kvs-record-markup');
            // The binary record: not previewed, offered for download, saved byte for byte.
            await press(page, '[data-test=key-row][data-key="shot.png"]');
            await page.waitForSelector('[data-test=detail]:not([hidden]) [data-test=no-preview]');
            assert.equal(await page.$('[data-test=record-preview]'), null);
            await press(page, '[data-test=record-download]');
            const saved = path.join(downloads, 'shot.png');
            for (const start = Date.now(); !fs.existsSync(saved); await new Promise((r) => setTimeout(r, 50))) {
                if (Date.now() - start > 10000) throw new Error('no download in ' + downloads + ': ' + fs.readdirSync(downloads));
            }
            assert.deepEqual(fs.readFileSync(saved), binary);
            await waitForRefreshes(page, 3);
            const made = await page.evaluate(() => ({
                img: document.querySelectorAll('main img, aside img').length,
                script: document.querySelectorAll('main script, aside script').length,
                svg: document.querySelectorAll('main svg, aside svg').length,
                b: document.querySelectorAll('main b, aside b').length,
            }));
            assert.deepEqual(made, { img: 0, script: 0, svg: 0, b: 0 });
            assert.equal(fired, 0, 'no handler from a record ran');

            // The dataset: 1,200 items, 100 a page, walked to the end and back.
            await press(page, '[data-tab=storages]');
            await press(page, dsRow + ' [data-test=dataset-link]', 10000);
            await page.waitForSelector('[data-test=items-table]');
            const per = 100;
            for (let p = 1; p <= n / per; p++) {
                await waitForText(page, '[data-test=page-info]', (t) => t.startsWith('page ' + p + ' '));
                const rows = await page.evaluate(() => [...document.querySelectorAll('[data-test=item-row]')]
                    .map((tr) => [tr.dataset.index, tr.querySelector('[data-test=item-json]').textContent]));
                assert.equal(rows.length, per, 'page ' + p);
                rows.forEach(([index, text], i) => {
                    const at = (p - 1) * per + i;
                    assert.equal(Number(index), at);
                    assert.deepEqual(JSON.parse(text), item(at));
                });
                if (p < n / per) await press(page, '[data-test=next]:not([disabled])');
            }
            assert.match(await page.$eval('[data-test=page-info]', (e) => e.textContent), /items 1,101–1,200 of 1,200/);
            assert.ok(await page.$('[data-test=next][disabled]'), 'the last page has no next');
            await press(page, '[data-test=prev]');
            await waitForText(page, '[data-test=page-info]', (t) => t.startsWith('page ' + (n / per - 1) + ' '));
            assert.equal(await page.$eval('[data-test=item-row]', (e) => e.dataset.index), String(n - 2 * per));
            // Straight to an item: offset on the server, no walk.
            await page.type('[data-test=goto-item]', '1000');
            await press(page, '[data-test=goto]');
            await waitForText(page, '[data-test=page-info]', (t) => t.includes('items 1,000–1,099 of 1,200'));
            await press(page, '[data-test=item-row][data-index="999"]');
            await page.waitForSelector('[data-test=detail]:not([hidden]) [data-test=json]');
            assert.deepEqual(JSON.parse(await page.$eval('[data-test=detail] [data-test=json]', (e) => e.textContent)), item(999));
            await screenshot(page, 'dataset-items');
            assert.equal(fired, 0);
            assert.equal(await page.evaluate(() => document.querySelectorAll('main i, aside i').length), 0);
            assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
            assert.deepEqual(problems, []);
        } finally {
            await close();
            fs.rmSync(downloads, { recursive: true, force: true });
        }
    });

    it('pages through a 5,000-request queue on the server, page by page', async () => {
        const { page, problems, close } = await openPage(browser);
        try {
            const q = await api.createQueue('ui-large');
            const n = 5000;
            const key = (i) => 'https://big.example.com/item-' + String(i).padStart(5, '0');
            const t0 = Date.now();
            for (let i = 0; i < n; i += 25) {
                const batch = [];
                for (let j = i; j < Math.min(n, i + 25); j++) batch.push({ url: key(j), uniqueKey: key(j) });
                const r = await api.batch(q.id, batch);
                assert.equal(r.unprocessedRequests.length, 0);
            }
            const fillMs = Date.now() - t0;
            const tOpen = Date.now();
            // 500 rows a page: ten pages, each one server call (the test stays quick).
            const per = 500;
            await openDashboard(page, fake.url, '#/queue/' + q.id + '?state=pending&limit=' + per);
            await page.waitForSelector('[data-test=request-row]');
            assert.equal(await page.$eval('[data-test=count-pending]', (e) => e.textContent), '5,000');
            // Walk every page and check the queue order and the row numbers.
            const seen = [];
            const pageMs = [];
            const fmt = new Intl.NumberFormat('en-US');  // one formatter: toLocaleString makes one per call
            for (let p = 1; p <= n / per; p++) {
                await waitForText(page, '[data-test=page-info]', (t) => t.startsWith('page ' + p + ' '));
                // One evaluate over the rows ($$eval would make a handle per row: a second a page).
                const cells = await page.evaluate(() => [...document.querySelectorAll('[data-test=request-row]')]
                    .map((tr) => [tr.children[0].textContent, tr.querySelector('[data-test=url]').textContent]));
                assert.equal(cells.length, per, 'page ' + p);
                for (const [num, url] of cells) {
                    assert.equal(url, key(seen.length), 'row ' + num);
                    assert.equal(num, fmt.format(seen.length + 1));
                    seen.push(url);
                }
                pageMs.push(Number(await page.$eval('[data-test=pager]', (e) => e.dataset.ms)));
                const next = await page.$('[data-test=next]:not([disabled])');
                if (p < n / per) {
                    assert.ok(next, 'a next page after page ' + p);
                    const t = Date.now();
                    await press(page, '[data-test=next]');
                    await waitForText(page, '[data-test=page-info]', (txt) => txt.startsWith('page ' + (p + 1) + ' '));
                    pageMs[pageMs.length - 1] = Date.now() - t;  // the click to the rendered page
                } else {
                    assert.equal(next, null, 'the last page has no next');
                }
            }
            assert.equal(new Set(seen).size, n);
            // Back one page: the cursor stack, not an offset.
            await press(page, '[data-test=prev]');
            await waitForText(page, '[data-test=page-info]', (t) => t.startsWith('page ' + (n / per - 1) + ' '));
            assert.equal(await page.$eval('[data-test=request-row] [data-test=url]', (e) => e.textContent), key(n - 2 * per));
            const walkMs = Date.now() - tOpen;
            const sorted = [...pageMs].sort((a, b) => a - b);
            const median = sorted[Math.floor(sorted.length / 2)];
            console.log(`ui paging: filled ${n} requests in ${fillMs} ms; ${pageMs.length} pages of ${per}, ` +
                `click to rendered page median ${median} ms, max ${sorted[sorted.length - 1]} ms; open and walk ${walkMs} ms`);
            await screenshot(page, 'large-queue-last-pages');
            assert.deepEqual(problems, []);
        } finally {
            await close();
        }
    });
});

describe('dashboard with --admin-token', () => {
    let guarded;
    before(async () => { guarded = await startFake(['--admin-token', 'sekret-admin']); });
    after(async () => { if (guarded) await guarded.stop(); });

    it('asks for the token, refuses a wrong one, and sends the right one', async () => {
        const { page, problems, close } = await openPage(browser);
        try {
            // The page loads without the token; the data does not.
            const res = await fetch(guarded.url + '/__admin/queues');
            assert.equal(res.status, 401);
            await page.goto(guarded.url + '/', { waitUntil: 'domcontentloaded' });
            await page.waitForSelector('[data-test=token-form]:not([hidden])');
            assert.deepEqual(problems, [], 'no call was made without the token');
            await page.type('[data-test=token-input]', 'wrong');
            await press(page, '[data-test=token-form] button[type=submit]');
            await waitForText(page, '[data-test=token-error]', (t) => t.includes('refused'));
            assert.ok(problems.every((p) => p.includes('401')), problems.join('\n'));
            problems.length = 0;
            await page.type('[data-test=token-input]', 'sekret-admin');
            await press(page, '[data-test=token-form] button[type=submit]');
            await page.waitForSelector('body[data-ready="1"] [data-test=storages]');
            assert.ok(await page.$('[data-test=token-form][hidden]'));
            await waitForRefreshes(page, 4);  // live refreshes carry the token
            // A record is fetched with the token too (a preview and a download are not JSON calls).
            const store = await apiOf(guarded.url).createStore('guarded-store');
            await apiOf(guarded.url).putRecord(store.id, 'notes.txt', 'only with the token', 'text/plain');
            assert.equal((await fetch(`${guarded.url}/__admin/key-value-stores/${store.id}/records/notes.txt`)).status, 401);
            await page.evaluate((h) => { location.hash = h; }, '#/kvs/' + store.id);
            await press(page, '[data-test=key-row][data-key="notes.txt"]');
            await waitForText(page, '[data-test=record-preview]', (t) => t === 'only with the token');
            assert.deepEqual(problems, []);
        } finally {
            await close();
        }
    });
});
