// Interop (issue 14): a crawl that survives the fake's crash. crawlee's CheerioCrawler crawls a
// 40-page site against an rq-fake with --data-dir; half way through the test kills the fake with
// SIGKILL, starts a new one on the same directory, and a new crawler (a new Configuration, new
// clients: as a restarted process would) finishes the crawl. Every page is handled once, except
// pages whose handled-mark the first fake never acknowledged: those may run twice, and are
// counted separately. A page the restarted fake shows as handled never runs again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'node:test';

import { CheerioCrawler } from '@crawlee/cheerio';
import { Configuration, RequestQueue, log } from '@crawlee/core';
import { ApifyClient } from 'apify-client';

log.setLevel(log.LEVELS.OFF);
const debug = process.env.RESUME_DEBUG ? (...a) => console.error("resume:", ...a) : () => {};

const PAGES = 40;
const CONCURRENCY = 4;
const LOCK_SECS = 4;

function fakeBin() {
    const bin = process.env.RQ_FAKE_BIN;
    if (!bin) throw new Error('RQ_FAKE_BIN is not set: run the tests through tests/interop/run-interop.sh');
    return bin;
}

// Starts rq-fake --data-dir DIR on a free port; resolves with { child, url } once it listens.
function startFake(dir) {
    const child = spawn(fakeBin(), ['--port', '0', '--no-rate-limit', '--data-dir', dir],
        { stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
        const lines = readline.createInterface({ input: child.stdout });
        lines.once('line', (line) => {
            const m = /^rq-fake listening on (http:\/\/\S+)$/.exec(line.trim());
            if (m) resolve({ child, url: m[1] });
            else reject(new Error(`rq-fake printed ${line}`));
        });
        child.once('exit', (code) => reject(new Error(`rq-fake exited with ${code} before listening`)));
    });
}

// Page i links to the next three pages; each answer takes a few milliseconds.
async function serveSite() {
    const server = http.createServer((req, res) => {
        const i = Number(/^\/p(\d+)$/.exec(req.url)?.[1] ?? -1);
        setTimeout(() => {
            if (i < 0 || i >= PAGES) {
                res.writeHead(404, { 'content-type': 'text/html' });
                res.end('<html><body>no</body></html>');
                return;
            }
            const links = [1, 2, 3].map((d) => i + d).filter((j) => j < PAGES)
                .map((j) => `<a href="/p${j}">p${j}</a>`).join('');
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
            res.end(`<!doctype html><html><head><title>p${i}</title></head><body>${links}</body></html>`);
        }, 15);
    });
    await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
    return { server, base: `http://127.0.0.1:${server.address().port}` };
}

async function crawlerOn(url, token, onPage) {
    // Few retries: once the fake is gone the first crawler should stop, not wait minutes.
    const client = new ApifyClient({ baseUrl: url, token, maxRetries: 1, minDelayBetweenRetriesMillis: 10, timeoutSecs: 10 });
    const config = new Configuration({ storageClient: client, purgeOnStart: false, persistStateIntervalMillis: 1000 });
    const requestQueue = await RequestQueue.open(null, { config });
    const crawler = new CheerioCrawler({
        requestQueue,
        maxConcurrency: CONCURRENCY,
        maxRequestRetries: 3,
        async requestHandler({ request, enqueueLinks }) {
            await enqueueLinks();
            onPage(request.uniqueKey);
        },
    }, config);
    // crawlee locks what it fetches for at least 60 s (3 min by default): the locks of the killed
    // crawler outlive it in the restarted fake, and the second crawl waits for them to expire.
    // 4 s keeps the wait short; the pages here take milliseconds.
    crawler.requestQueue.requestLockSecs = LOCK_SECS;
    return { client, config, crawler };
}

test('CheerioCrawler resumes on a restarted rq-fake: every page once, unacknowledged marks counted apart', async () => {
    const site = await serveSite();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rq-crawl-resume-'));
    const token = `resume-${process.pid}-${Date.now()}`;
    let first = await startFake(dir);
    let second;
    try {
        // Crawl 1, killed half way (from inside a page handler, so the kill meets calls in flight).
        const handled1 = new Map();
        let killed = false;
        const c1 = await crawlerOn(first.url, token, (key) => {
            handled1.set(key, (handled1.get(key) ?? 0) + 1);
            if (!killed && handled1.size >= PAGES / 2) {
                killed = true;
                first.child.kill('SIGKILL');
            }
        });
        const run1 = c1.crawler.run([`${site.base}/p0`]).then(() => 'finished', (e) => `failed: ${e.message}`);
        await new Promise((resolve) => { first.child.once('exit', resolve); });
        debug('killed; handled', handled1.size);
        assert.ok(killed, 'the first fake was killed by the test');
        await c1.crawler.autoscaledPool?.abort().catch(() => {});
        const outcome1 = await Promise.race([run1, new Promise((r) => { setTimeout(() => r('still running'), 20000); })]);
        debug('crawl 1:', outcome1);
        await c1.config.getEventManager().close().catch(() => {});
        debug('closed');

        // The restarted fake: what it shows as handled is what was acknowledged (or more).
        second = await startFake(dir);
        const client = new ApifyClient({ baseUrl: second.url, token });
        const queue = (await client.requestQueues().list()).items.find((q) => q.name === 'default');
        assert.ok(queue, 'the default queue came back after the restart');
        debug('restarted, queue', queue.id);
        const durable = new Set();
        const { items: all } = await client.requestQueue(queue.id).listRequests({ limit: 1000 });
        assert.ok(all.length >= PAGES / 2 && all.length <= PAGES, `${all.length} requests came back`);
        for (const r of all) if (r.handledAt) durable.add(r.uniqueKey);
        assert.ok(durable.size >= PAGES / 4, `only ${durable.size} handled pages came back`);
        for (const key of durable) assert.ok(handled1.has(key), `${key} handled in the store but never by crawl 1`);

        // Crawl 2 finishes the job.
        const handled2 = new Map();
        const c2 = await crawlerOn(second.url, token, (key) => { handled2.set(key, (handled2.get(key) ?? 0) + 1); });
        debug('crawl 2 starts; durable', durable.size);
        const stats2 = await c2.crawler.run([`${site.base}/p0`]);
        debug('crawl 2 done', handled2.size);
        await c2.config.getEventManager().close().catch(() => {});

        const pages = [...Array(PAGES).keys()].map((i) => `${site.base}/p${i}`);
        const twice = [];
        for (const p of pages) {
            const n1 = handled1.get(p) ?? 0;
            const n2 = handled2.get(p) ?? 0;
            assert.ok(n1 + n2 >= 1, `${p} was never handled`);
            assert.ok(n1 <= 1 && n2 <= 1, `${p} handled ${n1} + ${n2} times within one crawl`);
            if (durable.has(p)) assert.equal(n2, 0, `${p} was marked handled before the crash and ran again`);
            if (n1 + n2 === 2) twice.push(p);
        }
        // Only pages in flight at the kill can have lost their mark: at most the concurrency.
        assert.ok(twice.length <= CONCURRENCY + 1, `ran twice: ${twice.join(', ')}`);
        const final = await client.requestQueue(queue.id).get();
        assert.equal(final.handledRequestCount, PAGES);
        assert.equal(final.pendingRequestCount, 0);
        assert.equal(stats2.requestsFailed, 0);
        console.log(`crawl-resume: crawl 1 handled ${handled1.size} pages (${outcome1}); ${durable.size} came back handled; `
            + `crawl 2 handled ${handled2.size}; ran twice (mark not acknowledged): ${twice.length}`);
    } finally {
        for (const f of [first, second]) if (f && f.child.exitCode === null) f.child.kill('SIGKILL');
        site.server.closeAllConnections();
        site.server.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
