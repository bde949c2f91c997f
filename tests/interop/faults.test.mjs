// Interop under faults: the official apify-client (npm, pinned in package-lock.json) runs a whole
// producer/consumer scenario against rq-fake while the fake cuts ~30% of the batch adds short
// (20% of their items come back in unprocessedRequests) and answers ~30% of all other calls with
// 429. The client's own retries (spec 7.1) must carry it through: nothing lost, nothing
// duplicated. Then the fake's compliance report (docs/faults.md section 3) must give the client
// a clean bill: no warning or error findings.
//
// The ctest Interop.JsClientUnderFaults starts the fake with the rules on the command line
// (`--fault 'partial=20%@30%:batch_add; 429@30%' --fault-seed 42 --no-rate-limit`). When the fake
// has no rules (a plain run-interop.sh run of every file), this test adds the same rules through
// the admin API and removes them at the end.
//
// The partial rule comes first on purpose: it then decides a batch add alone (a 429 that fires on
// the same call is shadowed, docs/faults.md 1.4), so whether the batch adds meet partial answers
// depends only on the seed and the number of batch adds, not on how the client's parallel chunks
// interleave with the 429 rule's draws. The scenario makes at least 5 batch adds; seed 42 (and
// the default seed 1) cut two of the first five short.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fakeUrl, makeClient, requestIdOf, sleep, uniqueName } from './helpers.mjs';

const FAULTS = 'partial=20%@30%:batch_add; 429@30%';
const BATCH_SIZE = 120;
const SINGLE_ADDS = 10;
const UPDATE_CONCURRENCY = 25;

async function admin(method, path, { body, contentType } = {}) {
    const res = await fetch(`${fakeUrl()}/__admin/${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': contentType ?? 'application/json' },
        body,
    });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} /__admin/${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text).data : undefined;
}

/** Runs fn over items with at most `limit` calls in flight. */
async function pool(items, limit, fn) {
    const results = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await fn(items[i], i);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

test('apify-client completes its scenario under partial batches and 30% 429s, losing and duplicating nothing', { timeout: 150_000 }, async () => {
    // Faults: from the command line, or added here.
    const configured = await admin('GET', 'faults');
    const ownRules = configured.rules.length === 0 ? await admin('POST', 'faults', { body: FAULTS, contentType: 'text/plain' }) : undefined;
    // A User-Agent of our own makes this client one entry of the report, apart from other files'.
    const suffix = `rqcheck-faults-${process.pid}`;
    const { client, wire } = makeClient({ userAgentSuffix: suffix });
    const started = Date.now();
    const phases = [];
    const phase = (name) => phases.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    try {
        const queue = await client.requestQueues().getOrCreate(uniqueName('interop-faults'));
        const rq = client.requestQueue(queue.id);

        // 1. Batch add: 120 requests in chunks of 25 (up to 5 in flight). Bodies over 1 KiB, so the
        // client brotli-compresses them.
        const batch = Array.from({ length: BATCH_SIZE }, (_, i) => ({
            url: `https://example.com/faults/${i}?pad=${'x'.repeat(40)}`,
            uniqueKey: `faults-${i}`,
            userData: { i },
        }));
        const sentKeys = new Set(batch.map((r) => r.uniqueKey));
        const processed = new Map();  // uniqueKey -> requestId the client reported
        let result = await rq.batchAddRequests(batch);
        let resends = 0;
        // What the client's helper leaves unprocessed after its own 4 calls per chunk, a user
        // resends, with a wait of its own as the spec's backoff asks.
        for (;;) {
            for (const p of result.processedRequests) {
                assert.equal(p.requestId, requestIdOf(p.uniqueKey), `requestId of ${p.uniqueKey}`);
                processed.set(p.uniqueKey, p.requestId);
            }
            const left = result.unprocessedRequests.filter((u) => !processed.has(u.uniqueKey));
            if (left.length === 0) break;
            resends += 1;
            assert.ok(resends <= 5, `still ${left.length} unprocessed after ${resends - 1} resends`);
            await sleep(1000 * 2 ** resends);
            const again = batch.filter((r) => left.some((u) => u.uniqueKey === r.uniqueKey));
            result = await rq.batchAddRequests(again);
        }
        assert.deepEqual([...processed.keys()].sort(), [...sentKeys].sort(), 'every batch request was processed');
        phase('batch add');
        const compressed = wire.filter((e) => e.method === 'POST' && e.url.pathname.endsWith('/requests/batch'));
        assert.ok(compressed.some((e) => e.contentEncoding === 'br'), 'batch bodies were brotli-compressed');

        // 2. Single adds, one of them a key the batch stored already.
        for (let i = 0; i < SINGLE_ADDS; i++) {
            const uniqueKey = `faults-single-${i}`;
            const res = await rq.addRequest({ url: `https://example.com/single/${i}`, uniqueKey });
            assert.equal(res.requestId, requestIdOf(uniqueKey));
            assert.equal(res.wasAlreadyPresent, false, `${uniqueKey} is new`);
            sentKeys.add(uniqueKey);
            processed.set(uniqueKey, res.requestId);
        }
        const dup = await rq.addRequest({ url: batch[7].url, uniqueKey: batch[7].uniqueKey });
        assert.equal(dup.wasAlreadyPresent, true, 'a key the batch stored is already present');
        assert.equal(dup.requestId, processed.get(batch[7].uniqueKey));

        phase('single adds');

        // 3. List everything, page by page (25 per page, following nextCursor).
        const listAll = async () => {
            const items = [];
            let pages = 0;
            for await (const page of rq.paginateRequests({ maxPageLimit: 25 })) {
                items.push(...page.items);
                pages += 1;
            }
            return { items, pages };
        };
        const { items, pages } = await listAll();
        assert.ok(pages >= Math.ceil(sentKeys.size / 25), `listed in ${pages} pages`);
        const listedKeys = items.map((r) => r.uniqueKey);
        const distinct = new Set(listedKeys);
        assert.equal(distinct.size, listedKeys.length, `no request listed twice (${listedKeys.length - distinct.size} duplicates)`);
        const lost = [...sentKeys].filter((k) => !distinct.has(k));
        assert.deepEqual(lost, [], 'every sent request is stored');
        const extra = [...distinct].filter((k) => !sentKeys.has(k));
        assert.deepEqual(extra, [], 'nothing stored that was not sent');
        for (const r of items) {
            assert.equal(r.id, processed.get(r.uniqueKey), `id of ${r.uniqueKey}`);
            assert.equal(r.handledAt ?? null, null, `${r.uniqueKey} is not handled yet`);
        }

        phase('list');

        // 4. Mark every request handled, 25 calls in flight.
        const handledAt = new Date().toISOString();
        const updates = await pool(items, UPDATE_CONCURRENCY, async (r) => rq.updateRequest({ ...r, handledAt }));
        for (const [i, u] of updates.entries()) {
            assert.equal(u.requestId, items[i].id);
            assert.equal(u.wasAlreadyPresent, true, 'an update finds the request');
        }

        phase('updates');

        // 5. Final counters: total = distinct uniqueKeys sent, all of them handled.
        const q = await rq.get();
        assert.deepEqual(
            { total: q.totalRequestCount, handled: q.handledRequestCount, pending: q.pendingRequestCount },
            { total: sentKeys.size, handled: sentKeys.size, pending: 0 },
            'queue counters',
        );
        const after = await listAll();
        assert.equal(after.items.length, sentKeys.size, 'the listing after the updates');
        assert.ok(after.items.every((r) => r.handledAt), 'every request is handled');

        // The faults did act on this client: 429s and partial batches.
        const journal = await admin('GET', 'journal?faulted=true&limit=10000');
        const mine = journal.entries.filter((e) => e.userAgent.includes(suffix));
        const actions = new Set(mine.map((e) => e.fault.action.split('+')[0]));
        assert.ok(actions.has('error'), `no 429 met this client (faults: ${[...actions]})`);
        assert.ok(actions.has('partial'), `no partial batch met this client (faults: ${[...actions]})`);
        const attempts = wire.length;
        console.log(`faults test: ${sentKeys.size} requests, ${attempts} successful exchanges, ${mine.length} faults `
            + `(${mine.filter((e) => e.status === 429).length} 429s, ${mine.filter((e) => e.fault.action.startsWith('partial')).length} partial), `
            + `${resends} resends by the test; ${phases.join(', ')}`);

        // 6. The compliance report: no warning or error for the official client.
        const report = await admin('GET', 'report');
        const entries = report.clients.filter((c) => c.userAgent.includes('ApifyClient') && c.userAgent.includes(suffix));
        assert.ok(entries.length > 0, `the report has no entry for ${suffix}: ${JSON.stringify(report.clients.map((c) => c.userAgent))}`);
        const bad = entries.flatMap((c) => c.findings.filter((f) => f.severity === 'warning' || f.severity === 'error'));
        assert.deepEqual(bad, [], `apify-client got findings:\n${JSON.stringify(bad, null, 2)}`);
        assert.ok(entries.some((c) => c.faultsMet > 0 && c.retries > 0), 'the report saw faults and retries');
    } finally {
        if (ownRules) {
            for (const id of ownRules.ids) await admin('DELETE', `faults/${encodeURIComponent(id)}`);
        }
    }
});
