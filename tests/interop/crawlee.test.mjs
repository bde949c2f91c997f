// Interop: crawlee's RequestQueue (@crawlee/core, the v2 queue with locking) with apify-client as its
// storage client, against rq-fake: open a named queue, add requests, fetch, mark handled, reclaim,
// finish; then two consumers sharing one queue.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Configuration, log, Request, RequestQueue } from '@crawlee/core';

import {
    assertCounters,
    assertDate,
    assertQueueObject,
    filler,
    makeClient,
    QUEUE_ID_RE,
    requestIdOf,
    sleep,
    uniqueName,
} from './helpers.mjs';

log.setLevel(log.LEVELS.WARNING);

/** A crawlee Configuration whose storage client is the given ApifyClient (no local storage, no purge). */
function crawleeConfig(client) {
    return new Configuration({ storageClient: client, purgeOnStart: false, persistStorage: false });
}

async function openQueue(client, name) {
    const config = crawleeConfig(client);
    return RequestQueue.open(name, { config, storageClient: client });
}

/** Fetches and handles requests until the queue says it is finished; returns the handled ids. */
async function drain(queue, deadlineMs = 60_000) {
    const handled = [];
    const end = Date.now() + deadlineMs;
    while (!(await queue.isFinished())) {
        assert.ok(Date.now() < end, 'the queue did not finish in time');
        const request = await queue.fetchNextRequest();
        if (!request) {
            await sleep(200);
            continue;
        }
        handled.push(request.id);
        await queue.markRequestHandled(request);
    }
    return handled;
}

test('crawlee RequestQueue: open by name, add, fetch, mark handled, reclaim, finish, drop', async () => {
    const { client, wire } = makeClient();
    const raw = () => client.requestQueue(queue.id);
    const name = uniqueName('crawlee-flow');
    const queue = await openQueue(client, name);
    assert.match(queue.id, QUEUE_ID_RE);
    assert.equal(queue.name, name);
    assertQueueObject(await raw().get(), { id: queue.id, name });
    const create = wire.find((e) => e.method === 'POST' && e.url.pathname === '/v2/request-queues');
    assert.equal(create?.params.name, name, 'crawlee created the queue by name');
    assert.equal(create.status, 201);

    // addRequest: crawlee derives uniqueKey (normalised URL) and the id locally; the server must agree.
    const r1Url = 'https://EXAMPLE.com/crawlee/1/?b=2&a=1&utm_source=x#frag';
    const r1Key = 'https://example.com/crawlee/1?a=1&b=2';
    const r1 = await queue.addRequest({ url: r1Url, userData: { label: 'START', blob: filler(500, 'r1') } });
    assert.equal(r1.requestId, requestIdOf(r1Key));
    assert.equal(r1.wasAlreadyPresent, false);
    assert.equal(r1.wasAlreadyHandled, false);
    const storedR1 = await raw().getRequest(r1.requestId);
    assert.equal(storedR1?.uniqueKey, r1Key);
    assert.equal(storedR1.url, r1Url);
    assert.equal(storedR1.userData.label, 'START');

    // addRequests: 30 requests -> batchAddRequests (25 + 5), brotli for the big chunk.
    const pageUrls = Array.from({ length: 30 }, (_, i) => `https://example.com/crawlee/p${i}`);
    const added = await queue.addRequests(pageUrls.map((url, i) => ({ url, userData: { i, blob: filler(200, i) } })));
    assert.deepEqual(added.unprocessedRequests, []);
    assert.equal(added.processedRequests.length, 30);
    for (const p of added.processedRequests) {
        assert.equal(p.requestId, requestIdOf(p.uniqueKey));
        assert.equal(p.wasAlreadyPresent, false);
    }
    const batchCalls = wire.filter((e) => e.method === 'POST' && e.url.pathname.endsWith('/requests/batch'));
    assert.ok(batchCalls.some((e) => e.contentEncoding === 'br' && e.status === 201), 'a brotli batch went through');

    const urgentUrl = 'https://example.com/crawlee/urgent';
    const urgent = await queue.addRequest({ url: urgentUrl }, { forefront: true });
    assert.equal(urgent.requestId, requestIdOf(urgentUrl));
    await assertCounters(raw(), { total: 32, handled: 0, pending: 32 });

    // fetchNextRequest: forefront first; the request is locked for this client on the server.
    const first = await queue.fetchNextRequest();
    assert.ok(first instanceof Request);
    assert.equal(first.id, urgent.requestId, 'the forefront request comes first');
    assert.equal(first.url, urgentUrl);
    const lockCalls = wire.filter((e) => e.method === 'POST' && e.url.pathname.endsWith('/head/lock'));
    assert.ok(lockCalls.length >= 1 && lockCalls.every((e) => e.status === 201));
    const clientKey = lockCalls[0].params.clientKey;
    assert.match(String(clientKey), /^[a-zA-Z0-9]{17}$/, 'crawlee sends its random clientKey');
    const lockedNow = ids((await raw().listRequests({ filter: ['locked'] })).items);
    assert.ok(lockedNow.includes(first.id), 'the fetched request is locked on the server');

    const handledResult = await queue.markRequestHandled(first);
    assert.equal(handledResult.wasAlreadyHandled, false);
    const storedFirst = await raw().getRequest(first.id);
    assertDate(storedFirst.handledAt, 'handledAt after markRequestHandled');
    await assertCounters(raw(), { total: 32, handled: 1, pending: 31 });

    // Next is r1 (FIFO), fully hydrated from the server.
    const second = await queue.fetchNextRequest();
    assert.equal(second.id, r1.requestId);
    assert.equal(second.uniqueKey, r1Key);
    assert.deepEqual(second.userData, { label: 'START', blob: filler(500, 'r1') });

    // Reclaim r1 to the front with a retry count and an error message, as a crawler would.
    second.retryCount += 1;
    second.pushErrorMessage(new Error('interop failure'));
    const reclaimed = await queue.reclaimRequest(second, { forefront: true });
    assert.equal(reclaimed.wasAlreadyPresent, true);
    assert.equal(reclaimed.wasAlreadyHandled, false);
    const storedSecond = await raw().getRequest(second.id);
    assert.equal(storedSecond.handledAt ?? null, null);
    assert.equal(storedSecond.retryCount, 1);
    assert.equal(storedSecond.errorMessages.length, 1);
    assert.match(storedSecond.errorMessages[0], /interop failure/);
    assert.ok(!ids((await raw().listRequests({ filter: ['locked'] })).items).includes(second.id), 'reclaim released the lock');
    const third = await queue.fetchNextRequest();
    assert.equal(third.id, second.id, 'the reclaimed request (forefront) comes again');
    assert.equal(third.retryCount, 1);
    await queue.markRequestHandled(third);

    // Drain the rest.
    const rest = await drain(queue);
    assert.deepEqual(sorted(rest), sorted(pageUrls.map((u) => requestIdOf(u))), 'every page handled exactly once');
    assert.equal(await queue.isFinished(), true);
    assert.equal(await queue.isEmpty(), true);
    await assertCounters(raw(), { total: 32, handled: 32, pending: 0 });
    assert.equal(await queue.handledCount(), 32);
    const everything = await raw().listRequests();
    assert.equal(everything.items.length, 32);
    for (const item of everything.items) assertDate(item.handledAt, `handledAt of ${item.uniqueKey}`);
    assert.deepEqual((await raw().listRequests({ filter: ['locked', 'pending'] })).items, []);

    // Re-adding a handled URL through a fresh crawlee instance asks the server.
    const other = await openQueue(client, name);
    assert.equal(other.id, queue.id, 'opening the same name again gives the same queue');
    const reAdd = await other.addRequest({ url: urgentUrl });
    assert.deepEqual([reAdd.requestId, reAdd.wasAlreadyPresent, reAdd.wasAlreadyHandled], [urgent.requestId, true, true]);

    await queue.drop();
    assert.equal(await client.requestQueue(queue.id).get(), undefined, 'drop() deleted the queue');
});

test('crawlee RequestQueue: two consumers share a queue and never handle a request twice', async () => {
    const { client, wire } = makeClient();
    const name = uniqueName('crawlee-shared');
    const q1 = await openQueue(client, name);
    const q2 = await openQueue(client, name);
    assert.equal(q2.id, q1.id);
    const creates = wire.filter((e) => e.method === 'POST' && e.url.pathname === '/v2/request-queues');
    assert.deepEqual(creates.map((e) => e.status), [201, 200], 'the second open finds the existing queue');

    const urls = Array.from({ length: 40 }, (_, i) => `https://example.com/shared/${i}`);
    const added = await q1.addRequests(urls.map((url) => ({ url })));
    assert.equal(added.processedRequests.length, 40);

    const [h1, h2] = await Promise.all([drain(q1), drain(q2)]);
    const all = [...h1, ...h2];
    assert.equal(new Set(all).size, all.length, 'no request handled twice');
    assert.deepEqual(sorted(all), sorted(urls.map((u) => requestIdOf(u))), 'every request handled');
    assert.ok(h1.length > 0 && h2.length > 0, `both consumers got work (${h1.length} + ${h2.length})`);
    const info = await assertCounters(client.requestQueue(q1.id), { total: 40, handled: 40, pending: 0 });
    assert.equal(info.hadMultipleClients, true);
    const keys = new Set(wire.filter((e) => e.url.pathname.endsWith('/head/lock')).map((e) => e.params.clientKey));
    assert.equal(keys.size, 2, 'two clientKeys locked the head');
    await q1.drop();
});

const ids = (items) => items.map((item) => item.id);
const sorted = (list) => [...list].sort();
