// Interop (issue 16): the consumer oracle (docs/oracle.md) on real crawls. Two crawlee
// BasicCrawlers share one queue on rq-fake, each through its own RequestQueue (so its own
// clientKey). With a lock shorter than the handler, the second crawler takes requests whose lock
// expired while the first still works on them, and the first then marks them handled: the oracle
// must report exactly those requests as processed twice, naming both clientKeys. With crawlee's
// own lock (handler timeout + 5 s, at least 60 s) the same crawl must come out clean.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BasicCrawler } from '@crawlee/cheerio';
import { Configuration, log, RequestQueue } from '@crawlee/core';

import { fakeUrl, makeClient, sleep, TOKEN, uniqueName } from './helpers.mjs';

log.setLevel(log.LEVELS.ERROR);

/** One crawler's world: its own Configuration (so its own RequestQueue instance and clientKey). */
async function consumer(client, queueName) {
    const config = new Configuration({ storageClient: client, purgeOnStart: false, persistStorage: false });
    const queue = await RequestQueue.open(queueName, { config, storageClient: client });
    return { config, queue };
}

/** A BasicCrawler on `queue` whose handler takes `handlerMs`; records the ids it handled. */
function crawler({ config, queue }, { handlerMs, maxConcurrency, handled }) {
    return new BasicCrawler({
        requestQueue: queue,
        maxConcurrency,
        maxRequestRetries: 0,
        async requestHandler({ request }) {
            await sleep(handlerMs);
            handled.push(request.id);
        },
    }, config);
}

async function oracleReport() {
    const res = await fetch(`${fakeUrl()}/__admin/report?final=true`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    return (await res.json()).data.consumerOracle;
}

const forQueue = (oracle, queueId) => ({
    findings: oracle.findings.filter((f) => f.queue === queueId),
    end: oracle.endState.find((q) => q.queue === queueId),
});

async function closeAll(...worlds) {
    for (const w of worlds) await w.config.getEventManager().close().catch(() => {});
}

test('crawlee: a handler slower than its lock is reported as processing requests twice', { timeout: 30_000 }, async () => {
    const { client } = makeClient();
    const name = uniqueName('oracle-slow');
    const a = await consumer(client, name);
    const b = await consumer(client, name);
    try {
        assert.equal(a.queue.id, b.queue.id);
        assert.notEqual(a.queue.clientKey, b.queue.clientKey);
        const urls = Array.from({ length: 6 }, (_, i) => `https://example.com/oracle-slow/${i}`);
        await a.queue.addRequests(urls.map((url) => ({ url })));

        const handledA = [];
        const handledB = [];
        // A: one request at a time, 3.5 s each, under a 2 s lock. BasicCrawler sets the queue's
        // lock to max(requestHandlerTimeoutSecs + 5, 60) when it is built; the RequestQueue's
        // requestLockSecs is the option that shortens it afterwards.
        const slow = crawler(a, { handlerMs: 3500, maxConcurrency: 1, handled: handledA });
        a.queue.requestLockSecs = 2;
        const fast = crawler(b, { handlerMs: 20, maxConcurrency: 2, handled: handledB });
        const runA = slow.run();
        await sleep(700); // A has locked the head; B starts and waits for locks to expire
        const runB = fast.run();
        await Promise.all([runA, runB]);

        // What really happened, from the crawlers' side.
        const both = handledA.filter((id) => handledB.includes(id));
        assert.ok(both.length >= 1, `some request was handled by both crawlers (A: ${handledA}, B: ${handledB})`);

        const oracle = await oracleReport();
        const { findings, end } = forQueue(oracle, a.queue.id);
        const twice = findings.filter((f) => f.rule === 'oracle.processed_twice');
        console.log(`oracle finding from the crawl: ${JSON.stringify(twice[0], null, 2)}`);
        assert.deepEqual(twice.map((f) => f.requestId).sort(), [...both].sort(),
            'the oracle names exactly the requests both crawlers handled');
        for (const f of twice) {
            assert.deepEqual(f.clientKeys, [a.queue.clientKey, b.queue.clientKey], 'the late owner first, then the taker');
            assert.equal(f.severity, 'error');
            const whats = f.events.map((ev) => `${ev.clientKey === a.queue.clientKey ? 'A' : 'B'} ${ev.what}`);
            assert.deepEqual(whats, ['A locked', 'A lock expired', 'B locked', 'A marked it handled'], JSON.stringify(f.events));
            for (const ev of f.events) {
                assert.ok(!Number.isNaN(Date.parse(ev.at)), `ISO time ${ev.at}`);
                assert.ok(Number.isInteger(ev.atMs) && ev.atMs >= 0, `ms since the run's start: ${ev.atMs}`);
            }
        }
        assert.equal(end.pending, 0, JSON.stringify(end));
        assert.equal(end.locked, 0, JSON.stringify(end));
        assert.equal(end.handled, urls.length, JSON.stringify(end));
        assert.ok(oracle.rules['oracle.processed_twice'].description.includes('2849'));
    } finally {
        await closeAll(a, b);
    }
});

test('crawlee: the same crawl with crawlee\'s own lock is clean', { timeout: 30_000 }, async () => {
    const { client } = makeClient();
    const name = uniqueName('oracle-ok');
    const a = await consumer(client, name);
    const b = await consumer(client, name);
    try {
        const urls = Array.from({ length: 30 }, (_, i) => `https://example.com/oracle-ok/${i}`);
        await a.queue.addRequests(urls.map((url) => ({ url })));
        const handledA = [];
        const handledB = [];
        const one = crawler(a, { handlerMs: 150, maxConcurrency: 2, handled: handledA });
        const two = crawler(b, { handlerMs: 150, maxConcurrency: 2, handled: handledB });
        assert.ok(a.queue.requestLockSecs >= 60, `crawlee's lock: ${a.queue.requestLockSecs} s`);
        await Promise.all([one.run(), two.run()]);

        const all = [...handledA, ...handledB];
        assert.equal(new Set(all).size, all.length, 'no request handled twice');
        assert.equal(all.length, urls.length);
        assert.ok(handledA.length > 0 && handledB.length > 0, `both crawlers worked (${handledA.length} + ${handledB.length})`);

        const oracle = await oracleReport();
        const { findings, end } = forQueue(oracle, a.queue.id);
        assert.deepEqual(findings, [], 'no oracle finding');
        assert.deepEqual([end.pending, end.locked, end.handled], [0, 0, urls.length], JSON.stringify(end));
    } finally {
        await closeAll(a, b);
    }
});
