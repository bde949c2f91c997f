// Interop (issue 18): a real crawl. crawlee's CheerioCrawler crawls a small site this test serves
// on loopback, with `new Configuration({ storageClient: new ApifyClient({ baseUrl, token }) })` and
// nothing else changed, so its request queue, its dataset (pushData) and its key-value store
// (session pool and statistics state, records) all live in rq-fake.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { CheerioCrawler } from '@crawlee/cheerio';
import { Configuration, Dataset, KeyValueStore, log } from '@crawlee/core';
import { ApifyClient } from 'apify-client';

import { fakeUrl } from './helpers.mjs';

log.setLevel(log.LEVELS.WARNING);

/**
 * The site: pages linking to each other with URL variants that crawlee normalises to one
 * uniqueKey (fragment, utm_* parameter, trailing slash, query order), a 404, and a page that
 * answers 500 twice before it works. Returns the server and a hit counter per normalised page.
 */
async function serveSite() {
    const hits = new Map();
    let failures = 0;
    const page = (title, links) => `<!doctype html><html><head><title>${title}</title></head><body>${links
        .map((href) => `<a href="${href}">${href}</a>`)
        .join('\n')}</body></html>`;
    const pages = {
        '/': page('root', ['/a', '/a#top', '/a?utm_source=news', '/a/', '/b?y=2&x=1', '/b?x=1&y=2', '/missing']),
        '/a': page('page a', ['/c', '/', '/b?x=1&y=2#frag']),
        '/b?x=1&y=2': page('page b', ['/c/', '/fail-twice']),
        '/c': page('page c', ['/a', '/fail-twice', 'mailto:someone@example.com']),
        '/fail-twice': page('recovered', ['/']),
    };
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, 'http://site');
        const params = [...url.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        const path = url.pathname.replace(/\/$/, '') || '/';
        const key = params.length ? `${path}?${new URLSearchParams(params)}` : path;
        hits.set(key, (hits.get(key) ?? 0) + 1);
        if (key === '/fail-twice' && failures < 2) {
            failures += 1;
            res.writeHead(500, { 'content-type': 'text/html' });
            res.end('<html><body>try again</body></html>');
            return;
        }
        const body = pages[key];
        res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
        res.end(body ?? page('not found', ['/']));
    });
    await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
    return { server, hits, base: `http://127.0.0.1:${server.address().port}` };
}

test('CheerioCrawler on rq-fake: every page once, one item per page, state and records in the store', async () => {
    const site = await serveSite();
    // A token of its own: a new user, so the "default" storages are new.
    const token = `crawl-${process.pid}-${Date.now()}`;
    const client = new ApifyClient({ baseUrl: fakeUrl(), token });
    const config = new Configuration({ storageClient: client });
    try {

        const handled = new Map();
        const crawler = new CheerioCrawler({
            async requestHandler({ request, response, $, enqueueLinks, pushData }) {
                handled.set(request.uniqueKey, (handled.get(request.uniqueKey) ?? 0) + 1);
                await pushData({ url: request.url, uniqueKey: request.uniqueKey, status: response.statusCode, title: $('title').text() });
                await enqueueLinks();
            },
        }, config);
        const stats = await crawler.run([site.base]);

        const expectedPages = ['/', '/a', '/b?x=1&y=2', '/c', '/fail-twice', '/missing'];
        assert.equal(handled.size, expectedPages.length, `handled: ${[...handled.keys()].join(', ')}`);
        for (const [uniqueKey, n] of handled) assert.equal(n, 1, `${uniqueKey} handled once`);
        assert.deepEqual([...site.hits.keys()].sort(), [...expectedPages].sort(), 'the site saw exactly these pages');
        for (const p of expectedPages) {
            assert.equal(site.hits.get(p), p === '/fail-twice' ? 3 : 1, `fetches of ${p}`);
        }
        assert.equal(stats.requestsFinished, expectedPages.length);
        assert.equal(stats.requestsFailed, 0);

        // The dataset holds one item per page.
        const dataset = await Dataset.open(undefined, { config });
        const { items } = await client.dataset(dataset.id).listItems();
        assert.equal(items.length, expectedPages.length);
        assert.deepEqual(items.map((it) => it.uniqueKey).sort(), [...handled.keys()].sort());
        assert.equal(items.find((it) => it.title === 'not found')?.status, 404);
        assert.equal(items.find((it) => it.title === 'recovered')?.status, 200);
        assert.equal((await client.dataset(dataset.id).get()).itemCount, expectedPages.length);

        // The request queue is done: every request handled.
        const queues = await client.requestQueues().list();
        const queue = queues.items.find((q) => q.name === 'default');
        assert.ok(queue, 'the crawler made its default queue by name');
        assert.equal(queue.handledRequestCount, expectedPages.length);
        assert.equal(queue.pendingRequestCount, 0);

        // The session pool and the statistics keep their state in the default key-value store.
        const store = await KeyValueStore.open(undefined, { config });
        const kv = client.keyValueStore(store.id);
        const pool = await kv.getRecord('SDK_SESSION_POOL_STATE');
        assert.ok(pool, 'SDK_SESSION_POOL_STATE is stored');
        assert.ok(Array.isArray(pool.value.sessions) && pool.value.sessions.length > 0, 'sessions persisted');
        const keys = (await kv.listKeys()).items.map((k) => k.key);
        assert.ok(keys.some((k) => k.startsWith('SDK_CRAWLER_STATISTICS_')), `statistics state among ${keys.join(', ')}`);

        // Records of JSON, text and binary content types, through crawlee, read back byte for byte.
        const json = { pages: expectedPages, nested: { ok: true, n: 1.5 } };
        const text = 'plain text ✓\r\nsecond line';
        const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await store.setValue('summary', json);
        await store.setValue('notes.txt', text, { contentType: 'text/plain; charset=utf-8' });
        await store.setValue('bytes.bin', binary, { contentType: 'application/octet-stream' });
        assert.deepEqual(await store.getValue('summary'), json);
        assert.equal(await store.getValue('notes.txt'), text);
        assert.ok(binary.equals(await store.getValue('bytes.bin')), 'binary record');
        const rawJson = await kv.getRecord('summary', { buffer: true });
        assert.equal(rawJson.value.toString('utf8'), JSON.stringify(json, null, 2));
        assert.equal(rawJson.contentType, 'application/json; charset=utf-8');
        const rawText = await kv.getRecord('notes.txt', { buffer: true });
        assert.ok(rawText.value.equals(Buffer.from(text, 'utf8')));
        const rawBin = await kv.getRecord('bytes.bin', { buffer: true });
        assert.ok(rawBin.value.equals(binary));
        assert.equal(rawBin.contentType, 'application/octet-stream');
    } finally {
        // Also when the crawl failed half way: nothing may keep the test process alive.
        await config.getEventManager().close().catch(() => {});
        site.server.closeAllConnections();
        site.server.close();
    }
});
