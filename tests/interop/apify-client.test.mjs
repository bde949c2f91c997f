// Interop: every RequestQueueClient / RequestQueueCollectionClient method of the official
// apify-client (npm, pinned in package-lock.json) against rq-fake. See
// /work/shared/spec/request-queue-api.md (sections 1, 3, 4, 6, 7 and the decisions of section 9).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';

import {
    assertCounters,
    assertDate,
    assertNear,
    assertQueueObject,
    decodeSentBody,
    expectApiError,
    filler,
    makeClient,
    newQueue,
    QUEUE_ID_RE,
    requestIdOf,
    sleep,
    uniqueName,
} from './helpers.mjs';

const byUniqueKey = (a, b) => (a.uniqueKey < b.uniqueKey ? -1 : a.uniqueKey > b.uniqueKey ? 1 : 0);
const ids = (items) => items.map((item) => item.id);
const sorted = (list) => [...list].sort();
const lastWire = (wire, method, suffix) => wire.filter((e) => e.method === method && e.url.pathname.endsWith(suffix)).at(-1);

test('request ids: the spec vectors and the helper agree with the server', async () => {
    const { client } = makeClient();
    const [, rq] = await newQueue(client, 'interop-ids');
    // Vectors from the spec (section 6.1), checked against what the server answers.
    const vectors = {
        'http://example.com': '8OamqXBCpPHxyH9',
        'http://example.com/a/b': 'ZJAoqlRijenMQIn',
        'https://apify.com': 'fvwscO2UJLdr10B',
        'http://www.example.com/something': 'FETphjUNLcRvlwO',
    };
    for (const [uniqueKey, id] of Object.entries(vectors)) {
        assert.equal(requestIdOf(uniqueKey), id, `helper vector ${uniqueKey}`);
        const res = await rq.addRequest({ url: uniqueKey, uniqueKey });
        assert.equal(res.requestId, id, `server id of ${uniqueKey}`);
    }
    // Non-ASCII and very long keys hash the UTF-8 bytes.
    for (const uniqueKey of ['https://example.com/ü?q=ř&x=日本', `long-${'k'.repeat(2000)}`, 'GET|60d83e70|e3b0c442|https://apify.com']) {
        const res = await rq.addRequest({ url: 'https://example.com/x', uniqueKey });
        assert.equal(res.requestId, requestIdOf(uniqueKey), `server id of ${uniqueKey.slice(0, 40)}`);
        const got = await rq.getRequest(res.requestId);
        assert.equal(got?.uniqueKey, uniqueKey, 'uniqueKey round-trips byte for byte');
    }
    // The same uniqueKey has the same id in another queue.
    const [, rq2] = await newQueue(client, 'interop-ids2');
    const again = await rq2.addRequest({ url: 'http://example.com', uniqueKey: 'http://example.com' });
    assert.equal(again.requestId, '8OamqXBCpPHxyH9');
    assert.equal(again.wasAlreadyPresent, false, 'another queue does not share requests');
});

test('queue collection: getOrCreate, list, get by id and by name, update, delete', async () => {
    const { client, wire } = makeClient();
    const coll = client.requestQueues();
    const name = uniqueName('interop-coll');

    const created = await coll.getOrCreate(name);
    assertQueueObject(created, { name });
    assert.deepEqual(
        [created.totalRequestCount, created.handledRequestCount, created.pendingRequestCount],
        [0, 0, 0],
        'a new queue is empty',
    );
    const createCall = lastWire(wire, 'POST', '/v2/request-queues');
    assert.equal(createCall.status, 201, 'creating a named queue answers 201');
    assert.equal(createCall.params.name, name, 'the client sends the name as a query param');
    const location = createCall.responseHeaders.location;
    assert.ok(location, 'a created queue has a Location header');
    assert.ok(location.endsWith(`/v2/request-queues/${created.id}`), `Location ${location}`);

    const again = await coll.getOrCreate(name);
    assertQueueObject(again, { id: created.id, name });
    assert.equal(again.createdAt.getTime(), created.createdAt.getTime(), 'createdAt is stable');
    assert.equal(lastWire(wire, 'POST', '/v2/request-queues').status, 200, 'an existing name answers 200');

    const unnamed = await coll.getOrCreate();
    assertQueueObject(unnamed, { name: null });
    assert.notEqual(unnamed.id, created.id);
    const unnamed2 = await coll.getOrCreate();
    assert.notEqual(unnamed2.id, unnamed.id, 'getOrCreate without a name always creates');

    const got = await client.requestQueue(created.id).get();
    assertQueueObject(got, { id: created.id, name });
    assert.equal(got.userId, created.userId);

    // List: named queues only by default, ascending createdAt.
    const page = await coll.list();
    for (const key of ['total', 'offset', 'limit', 'count']) assert.ok(Number.isInteger(page[key]), `list.${key}`);
    assert.equal(page.offset, 0);
    assert.equal(page.count, page.items.length, 'count = items.length');
    assert.ok(page.total >= page.count);
    assert.equal(page.desc, false);
    const mine = page.items.find((q) => q.id === created.id);
    assert.ok(mine, 'the named queue is listed');
    assert.equal(mine.name, name);
    assert.equal(typeof mine.username, 'string', 'list items carry username');
    assert.equal(mine.userId, created.userId);
    for (const key of ['createdAt', 'modifiedAt', 'accessedAt']) assertDate(mine[key], `list item ${key}`);
    for (const key of ['totalRequestCount', 'handledRequestCount', 'pendingRequestCount']) assert.equal(mine[key], 0);
    assert.ok(!page.items.some((q) => q.id === unnamed.id), 'unnamed queues are not listed by default');
    for (let i = 1; i < page.items.length; i++) {
        assert.ok(page.items[i - 1].createdAt <= page.items[i].createdAt, 'list sorted by createdAt ascending');
    }
    const withUnnamed = await coll.list({ unnamed: true });
    assert.equal(lastWire(wire, 'GET', '/v2/request-queues').params.unnamed, true);
    const withUnnamedIds = ids(withUnnamed.items);
    for (const id of [created.id, unnamed.id, unnamed2.id]) assert.ok(withUnnamedIds.includes(id), `unnamed=1 lists ${id}`);
    assert.equal(withUnnamed.items.find((q) => q.id === unnamed.id).name ?? null, null);

    const desc = await coll.list({ desc: true });
    assert.equal(desc.desc, true);
    assert.deepEqual(sorted(ids(desc.items)), sorted(ids(page.items)), 'desc lists the same queues');
    for (let i = 1; i < desc.items.length; i++) {
        assert.ok(desc.items[i - 1].createdAt >= desc.items[i].createdAt, 'desc=1 sorted by createdAt descending');
    }
    assert.ok(page.total >= 2, 'need two queues to check offset/limit');
    const slice = await coll.list({ offset: 1, limit: 1 });
    assert.deepEqual([slice.offset, slice.limit, slice.count, slice.total], [1, 1, 1, page.total]);
    assert.equal(slice.items[0].id, page.items[1].id, 'offset/limit slice');
    // The client's own iterator over the collection.
    const iterated = [];
    for await (const q of coll.list({ unnamed: true })) iterated.push(q.id);
    assert.deepEqual(iterated, withUnnamedIds, 'for-await over list() yields every queue once');

    // By name: `username/name` (the client turns it into `username~name`) and `~name`.
    const byUserName = await client.requestQueue(`${mine.username}/${name}`).get();
    assert.equal(byUserName?.id, created.id, 'GET username~name');
    assert.ok(lastWire(wire, 'GET', `/v2/request-queues/${mine.username}~${name}`), 'client sent username~name');
    const byTildeName = await client.requestQueue(`~${name}`).get();
    assert.equal(byTildeName?.id, created.id, 'GET ~name');

    // Update: rename, then the new name resolves to the same queue and the old one is free.
    const newName = uniqueName('interop-renamed');
    const updated = await client.requestQueue(created.id).update({ name: newName });
    assertQueueObject(updated, { id: created.id, name: newName });
    assert.equal((await client.requestQueue(created.id).get()).name, newName);
    assert.equal((await coll.getOrCreate(newName)).id, created.id, 'the new name resolves to the queue');
    const reused = await coll.getOrCreate(name);
    assert.notEqual(reused.id, created.id, 'the old name is free after the rename');
    const unnamedNow = await client.requestQueue(unnamed.id).update({ name: uniqueName('interop-named-later') });
    assert.ok(unnamedNow.name, 'an unnamed queue can be given a name');

    // Delete: 204, then get() -> undefined and a second delete() is swallowed (404 record-not-found).
    await client.requestQueue(created.id).delete();
    assert.equal(lastWire(wire, 'DELETE', `/v2/request-queues/${created.id}`).status, 204);
    assert.equal(await client.requestQueue(created.id).get(), undefined, 'get() of a deleted queue');
    assert.ok(!ids((await coll.list({ unnamed: true })).items).includes(created.id), 'deleted queue not listed');
    await client.requestQueue(created.id).delete();
    const secondDelete = lastWire(wire, 'DELETE', `/v2/request-queues/${created.id}`);
    assert.equal(secondDelete.status, 404);
    assert.equal(secondDelete.responseBody?.error?.type, 'record-not-found');
    for (const q of [reused, unnamed, unnamed2]) await client.requestQueue(q.id).delete();

    // get() of an id that never existed -> undefined (404 record-not-found).
    assert.equal(await client.requestQueue('AAAAAAAAAAAAAAAAA').get(), undefined);
    assert.equal(lastWire(wire, 'GET', '/v2/request-queues/AAAAAAAAAAAAAAAAA').responseBody?.error?.type, 'record-not-found');
});

test('single requests: add, get, dedup, forefront, handledAt, reclaim, upsert, delete, counters', async () => {
    const { client, wire } = makeClient();
    const [queue, rq] = await newQueue(client, 'interop-single');

    const reqA = {
        url: 'https://example.com/a',
        uniqueKey: 'https://example.com/a',
        method: 'POST',
        payload: '{"x":1}',
        headers: { 'Content-Type': 'application/json', 'X-Test': 'a' },
        userData: { label: 'A', nested: { n: 1, list: [1, 'two', null, true] }, unicode: 'žluťoučký 日本' },
        retryCount: 0,
        noRetry: false,
        errorMessages: [],
    };
    const idA = requestIdOf(reqA.uniqueKey);
    assert.deepEqual(await rq.addRequest(reqA), { requestId: idA, wasAlreadyPresent: false, wasAlreadyHandled: false });
    const addCall = lastWire(wire, 'POST', `/v2/request-queues/${queue.id}/requests`);
    assert.equal(addCall.status, 201);

    const gotA = await rq.getRequest(idA);
    assert.ok(gotA, 'getRequest returns the stored request');
    assert.equal(gotA.id, idA);
    for (const [key, value] of Object.entries(reqA)) assert.deepEqual(gotA[key], value, `stored ${key}`);
    assert.equal(gotA.handledAt ?? null, null, 'a new request is not handled');

    // Dedup: same uniqueKey, other url, forefront -> existing id, nothing changes.
    assert.deepEqual(
        await rq.addRequest({ url: 'https://example.com/other', uniqueKey: reqA.uniqueKey }, { forefront: true }),
        { requestId: idA, wasAlreadyPresent: true, wasAlreadyHandled: false },
    );
    assert.equal((await rq.getRequest(idA)).url, reqA.url, 'a duplicate add does not modify the stored request');

    const add = async (key, opts) => {
        const res = await rq.addRequest({ url: `https://example.com/${key}`, uniqueKey: key }, opts);
        assert.deepEqual(res, { requestId: requestIdOf(key), wasAlreadyPresent: false, wasAlreadyHandled: false }, `add ${key}`);
        return res.requestId;
    };
    const idB = await add('b');
    const idC = await add('c', { forefront: true });
    // The duplicate add of A with forefront=true did not move A (decision 21).
    assert.deepEqual(ids((await rq.listHead()).items), [idC, idA, idB], 'forefront first, then FIFO');
    const idD = await add('d', { forefront: true });
    const head = await rq.listHead();
    assert.deepEqual(ids(head.items), [idD, idC, idA, idB], 'newest forefront first');
    assert.equal(head.limit, 100, 'default head limit is 100 (decision 11)');
    assertDate(head.queueModifiedAt, 'head.queueModifiedAt');
    assert.equal(typeof head.hadMultipleClients, 'boolean');
    const headA = head.items.find((item) => item.id === idA);
    assert.equal(headA.uniqueKey, reqA.uniqueKey);
    assert.equal(headA.url, reqA.url);
    assert.equal(headA.method, 'POST');
    for (const item of head.items) {
        assert.ok(!('userData' in item) && !('payload' in item) && !('headers' in item), 'the head has no userData/payload/headers');
    }
    const head2 = await rq.listHead({ limit: 2 });
    assert.equal(head2.limit, 2);
    assert.deepEqual(ids(head2.items), [idD, idC]);
    assert.equal(lastWire(wire, 'GET', '/head').params.limit, 2);
    await assertCounters(rq, { total: 4, handled: 0, pending: 4 });

    // Mark A handled.
    const handledAt = new Date(Date.now() - 1234);
    assert.deepEqual(
        await rq.updateRequest({ ...gotA, handledAt: handledAt.toISOString() }),
        { requestId: idA, wasAlreadyPresent: true, wasAlreadyHandled: false },
    );
    assert.equal(lastWire(wire, 'PUT', `/requests/${idA}`).status, 200);
    const handledA = await rq.getRequest(idA);
    assertDate(handledA.handledAt, 'handledAt');
    assert.equal(handledA.handledAt.getTime(), handledAt.getTime(), 'handledAt stored as sent');
    assert.deepEqual(handledA.userData, reqA.userData);
    await assertCounters(rq, { total: 4, handled: 1, pending: 3 });
    assert.deepEqual(ids((await rq.listHead()).items), [idD, idC, idB], 'a handled request leaves the head');
    // PUT again: wasAlreadyHandled reports the state before the update.
    assert.deepEqual(
        await rq.updateRequest({ ...gotA, handledAt: handledAt.toISOString() }),
        { requestId: idA, wasAlreadyPresent: true, wasAlreadyHandled: true },
    );
    await assertCounters(rq, { total: 4, handled: 1, pending: 3 });
    assert.deepEqual(
        await rq.addRequest({ url: reqA.url, uniqueKey: reqA.uniqueKey }),
        { requestId: idA, wasAlreadyPresent: true, wasAlreadyHandled: true },
        'adding a handled request',
    );

    // Reclaim A to the front (handledAt null, retryCount+1, forefront).
    assert.deepEqual(
        await rq.updateRequest({ ...gotA, handledAt: null, retryCount: 1, errorMessages: ['boom'] }, { forefront: true }),
        { requestId: idA, wasAlreadyPresent: true, wasAlreadyHandled: true },
    );
    assert.equal(lastWire(wire, 'PUT', `/requests/${idA}`).params.forefront, true);
    const reclaimedA = await rq.getRequest(idA);
    assert.equal(reclaimedA.handledAt ?? null, null);
    assert.equal(reclaimedA.retryCount, 1);
    assert.deepEqual(reclaimedA.errorMessages, ['boom']);
    await assertCounters(rq, { total: 4, handled: 0, pending: 4 });
    assert.deepEqual(ids((await rq.listHead()).items), [idA, idD, idC, idB], 'reclaimed with forefront -> first');

    // PUT of a pending request without forefront moves it to the end and replaces it (no merge).
    const gotC = await rq.getRequest(idC);
    assert.deepEqual(
        await rq.updateRequest({ id: idC, uniqueKey: gotC.uniqueKey, url: gotC.url, userData: { changed: true } }),
        { requestId: idC, wasAlreadyPresent: true, wasAlreadyHandled: false },
    );
    assert.deepEqual(ids((await rq.listHead()).items), [idA, idD, idB, idC], 'PUT without forefront -> end');
    assert.deepEqual((await rq.getRequest(idC)).userData, { changed: true });

    // Upsert: PUT on an id that does not exist (decision 4).
    const upsertKey = 'upsert-key';
    const idU = requestIdOf(upsertKey);
    assert.equal(await rq.getRequest(idU), undefined);
    assert.deepEqual(
        await rq.updateRequest({ id: idU, uniqueKey: upsertKey, url: 'https://example.com/upsert', userData: { u: 1 } }),
        { requestId: idU, wasAlreadyPresent: false, wasAlreadyHandled: false },
    );
    assert.deepEqual((await rq.getRequest(idU)).userData, { u: 1 });
    await assertCounters(rq, { total: 5, handled: 0, pending: 5 });

    // A new request that arrives with handledAt is stored as handled.
    const bornKey = 'born-handled';
    const idH = requestIdOf(bornKey);
    const born = await rq.addRequest({ url: 'https://example.com/h', uniqueKey: bornKey, handledAt: new Date().toISOString() });
    assert.equal(born.requestId, idH);
    assert.equal(born.wasAlreadyPresent, false);
    assertDate((await rq.getRequest(idH)).handledAt, 'handledAt of a request added as handled');
    await assertCounters(rq, { total: 6, handled: 1, pending: 5 });
    assert.ok(!ids((await rq.listHead()).items).includes(idH), 'added-as-handled is not in the head');

    // Delete: pending and handled requests, then an absent one (decision 5: 204).
    await rq.deleteRequest(idU);
    assert.equal(lastWire(wire, 'DELETE', `/requests/${idU}`).status, 204);
    assert.equal(await rq.getRequest(idU), undefined, 'getRequest of a deleted request -> undefined');
    await assertCounters(rq, { total: 5, handled: 1, pending: 4 });
    await rq.deleteRequest(idH);
    await assertCounters(rq, { total: 4, handled: 0, pending: 4 });
    await rq.deleteRequest(idH);
    assert.equal(lastWire(wire, 'DELETE', `/requests/${idH}`).status, 204, 'deleting an absent request (decision 5)');
    await assertCounters(rq, { total: 4, handled: 0, pending: 4 });

    // getRequest of an id that never existed -> undefined, because the server says 404 record-not-found.
    const never = requestIdOf('never-added');
    assert.equal(await rq.getRequest(never), undefined);
    const miss = lastWire(wire, 'GET', `/requests/${never}`);
    assert.equal(miss.status, 404);
    assert.equal(miss.responseBody?.error?.type, 'record-not-found');
    assert.ok(!('clientKey' in miss.params), 'getRequest sends no clientKey');

    // Errors come back as ApifyApiError with the envelope's type, without retries.
    await expectApiError(() => rq.addRequest({ url: 'https://example.com/no-key' }), 400, 'invalid-input');
    await expectApiError(
        () => rq.updateRequest({ id: idA, uniqueKey: 'not-the-key-of-A', url: reqA.url }),
        400,
    );
    await assertCounters(rq, { total: 4, handled: 0, pending: 4 });
    const missingQueue = client.requestQueue('NoSuchQueue000000');
    await expectApiError(() => missingQueue.addRequest({ url: 'https://example.com', uniqueKey: 'k' }), 404, 'record-not-found');
    await expectApiError(() => missingQueue.listHead(), 404, 'record-not-found');
    await expectApiError(() => missingQueue.listAndLockHead({ lockSecs: 10 }), 404, 'record-not-found');
    assert.equal(await missingQueue.getRequest(idA), undefined);

    // Every call carried the token as a Bearer header and never as a query param.
    for (const entry of wire) {
        assert.equal(entry.authorization, 'Bearer interop-token');
        assert.ok(!('token' in entry.params));
    }
});

test('batch add and batch delete: 25-request brotli bodies, chunking, flags, counters', async () => {
    const { client, wire } = makeClient();
    const [queue, rq] = await newQueue(client, 'interop-batch');
    const batchPath = `/v2/request-queues/${queue.id}/requests/batch`;

    const make = (i, blobBytes = 300) => ({
        url: `https://example.com/batch/${i}`,
        uniqueKey: `batch-${i}`,
        method: 'GET',
        userData: { i, blob: filler(blobBytes, i) },
    });
    const first = Array.from({ length: 25 }, (_, i) => make(i));
    let before = wire.length;
    const res1 = await rq.batchAddRequests(first);
    const calls1 = wire.slice(before).filter((e) => e.method === 'POST' && e.url.pathname === batchPath);
    assert.ok(calls1.length >= 1);
    assert.equal(calls1[0].contentEncoding, 'br', 'the client sends a >=1 KiB body with Content-Encoding: br');
    assert.deepEqual(decodeSentBody(calls1[0]), first, 'one call carried all 25 requests');
    assert.ok(calls1.every((c) => c.status === 201), `batch add answers 201, got ${calls1.map((c) => c.status)}`);
    assert.deepEqual(res1.unprocessedRequests, []);
    assert.deepEqual(
        [...res1.processedRequests].sort(byUniqueKey),
        first.map((r) => ({ requestId: requestIdOf(r.uniqueKey), uniqueKey: r.uniqueKey, wasAlreadyPresent: false, wasAlreadyHandled: false }))
            .sort(byUniqueKey),
    );
    // The server decoded the brotli body: every userData comes back intact.
    const stored = await Promise.all(first.map((r) => rq.getRequest(requestIdOf(r.uniqueKey))));
    stored.forEach((got, i) => {
        assert.equal(got?.url, first[i].url);
        assert.deepEqual(got.userData, first[i].userData, `userData of ${first[i].uniqueKey}`);
    });
    await assertCounters(rq, { total: 25, handled: 0, pending: 25 });

    // Mark batch-3 handled, then a second batch (forefront) of 10 existing + 15 new.
    await rq.updateRequest({ ...stored[3], handledAt: new Date().toISOString() });
    const second = [...Array.from({ length: 10 }, (_, i) => ({ ...make(i), url: `https://example.com/changed/${i}` })),
        ...Array.from({ length: 15 }, (_, i) => make(25 + i))];
    const res2 = await rq.batchAddRequests(second, { forefront: true });
    assert.equal(lastWire(wire, 'POST', '/requests/batch').params.forefront, true);
    assert.deepEqual(res2.unprocessedRequests, []);
    assert.deepEqual(
        [...res2.processedRequests].sort(byUniqueKey),
        second.map((r, i) => ({
            requestId: requestIdOf(r.uniqueKey),
            uniqueKey: r.uniqueKey,
            wasAlreadyPresent: i < 10,
            wasAlreadyHandled: i === 3,
        })).sort(byUniqueKey),
    );
    assert.equal((await rq.getRequest(requestIdOf('batch-0'))).url, 'https://example.com/batch/0', 'existing not modified');
    await assertCounters(rq, { total: 40, handled: 1, pending: 39 });
    const head15 = await rq.listHead({ limit: 15 });
    assert.deepEqual(sorted(ids(head15.items)), sorted(second.slice(10).map((r) => requestIdOf(r.uniqueKey))),
        'the 15 new forefront requests lead the head');

    // 60 requests: the client splits them into 25 + 25 + 10, each its own brotli POST.
    const third = Array.from({ length: 60 }, (_, i) => make(100 + i));
    before = wire.length;
    const res3 = await rq.batchAddRequests(third);
    const calls3 = wire.slice(before).filter((e) => e.method === 'POST' && e.url.pathname === batchPath && e.status === 201);
    assert.ok(calls3.length >= 3, `at least 3 batch calls, got ${calls3.length}`);
    const sentKeys = calls3.flatMap((c) => {
        assert.equal(c.contentEncoding, 'br');
        const body = decodeSentBody(c);
        assert.ok(body.length >= 1 && body.length <= 25, 'chunks of at most 25');
        return body.map((r) => r.uniqueKey);
    });
    assert.deepEqual(sorted(new Set(sentKeys)), sorted(third.map((r) => r.uniqueKey)));
    assert.deepEqual(res3.unprocessedRequests, []);
    assert.deepEqual(sorted(res3.processedRequests.map((p) => p.requestId)), sorted(third.map((r) => requestIdOf(r.uniqueKey))));
    assert.ok(res3.processedRequests.every((p) => p.wasAlreadyPresent === false && p.wasAlreadyHandled === false));
    await assertCounters(rq, { total: 100, handled: 1, pending: 99 });

    // A ~1.3 MB batch (random base64, still ~1 MB after compression) is decoded as well.
    const big = Array.from({ length: 25 }, (_, i) => ({
        url: `https://example.com/big/${i}`,
        uniqueKey: `big-${i}`,
        userData: { blob: crypto.randomBytes(40000).toString('base64') },
    }));
    before = wire.length;
    const res4 = await rq.batchAddRequests(big);
    const bigCall = wire.slice(before).find((e) => e.method === 'POST' && e.url.pathname === batchPath);
    assert.equal(bigCall.contentEncoding, 'br');
    assert.ok(bigCall.requestBody.length > 500_000, `compressed size ${bigCall.requestBody.length}`);
    assert.equal(res4.processedRequests.length, 25);
    assert.deepEqual(res4.unprocessedRequests, []);
    assert.equal((await rq.getRequest(requestIdOf('big-24'))).userData.blob, big[24].userData.blob);
    await assertCounters(rq, { total: 125, handled: 1, pending: 124 });

    // Duplicate uniqueKeys inside one batch: the server refuses the whole batch (decision 7);
    // the client does not throw but returns everything as unprocessed (and logs
    // "ERROR Request batch insert failed": expected here).
    before = wire.length;
    const dup = await rq.batchAddRequests([
        { url: 'https://example.com/dup1', uniqueKey: 'dup' },
        { url: 'https://example.com/dup2', uniqueKey: 'dup' },
    ]);
    const dupCall = wire.slice(before).find((e) => e.method === 'POST' && e.url.pathname === batchPath);
    assert.equal(dupCall.status, 400);
    assert.equal(dupCall.responseBody?.error?.type, 'request-queue-duplicate-requests');
    assert.deepEqual(dup.processedRequests, []);
    assert.equal(dup.unprocessedRequests.length, 2);
    assert.equal(await rq.getRequest(requestIdOf('dup')), undefined, 'nothing stored');
    await assertCounters(rq, { total: 125, handled: 1, pending: 124 });

    // Batch delete: 5 by id, 5 by uniqueKey (batch-3 is the handled one), 1 absent id.
    const byId = [0, 1, 2, 20, 21].map((i) => ({ id: requestIdOf(`batch-${i}`) }));
    const byKey = [3, 4, 5, 22, 23].map((i) => ({ uniqueKey: `batch-${i}` }));
    const absent = { id: requestIdOf('never-added') };
    const del = await rq.batchDeleteRequests([...byId, ...byKey, absent]);
    const delCall = lastWire(wire, 'DELETE', '/requests/batch');
    assert.equal(delCall.status, 200, 'batch delete answers 200');
    assert.match(String(delCall.contentType), /^application\/json/, 'batch delete sends Content-Type: application/json');
    assert.deepEqual(del.unprocessedRequests, []);
    for (const entry of del.processedRequests) {
        assert.ok(entry.id !== undefined || entry.uniqueKey !== undefined, 'processed entry has id or uniqueKey');
        if (entry.id !== undefined && entry.uniqueKey !== undefined) assert.equal(entry.id, requestIdOf(entry.uniqueKey));
    }
    const deletedIds = del.processedRequests.map((e) => e.id ?? requestIdOf(e.uniqueKey));
    assert.deepEqual(
        sorted(deletedIds),
        sorted([...byId.map((e) => e.id), ...byKey.map((e) => requestIdOf(e.uniqueKey)), absent.id]),
        'every item is processed, the absent one included (decision 5)',
    );
    for (const id of [...byId.map((e) => e.id), ...byKey.map((e) => requestIdOf(e.uniqueKey))]) {
        assert.equal(await rq.getRequest(id), undefined, `deleted ${id}`);
    }
    await assertCounters(rq, { total: 115, handled: 0, pending: 115 });
    assert.ok(!ids((await rq.listHead({ limit: 1000 })).items).includes(requestIdOf('batch-20')));
});

test('cursor pagination with listRequests and paginateRequests; filters', async () => {
    const { client, wire } = makeClient();
    const [queue, rq] = await newQueue(client, 'interop-pages');
    const reqs = Array.from({ length: 57 }, (_, i) => ({
        url: `https://example.com/p/${i}`,
        uniqueKey: `page-${String(i).padStart(2, '0')}`,
        userData: { i },
    }));
    const res = await rq.batchAddRequests(reqs);
    assert.equal(res.processedRequests.length, 57);
    const expected = sorted(reqs.map((r) => requestIdOf(r.uniqueKey)));
    const listPath = `/v2/request-queues/${queue.id}/requests`;
    const listCalls = (from) => wire.slice(from).filter((e) => e.method === 'GET' && e.url.pathname === listPath);

    // One page with the default limit.
    const all = await rq.listRequests();
    assert.equal(all.limit, 1000, 'default list limit 1000 (decision 11)');
    assert.equal(all.items.length, 57);
    assert.equal(all.nextCursor, undefined, 'no nextCursor when the page did not stop on limit');
    assert.deepEqual(sorted(ids(all.items)), expected);
    const item7 = all.items.find((item) => item.uniqueKey === 'page-07');
    assert.deepEqual([item7.url, item7.userData], ['https://example.com/p/7', { i: 7 }], 'list items are full requests');
    // for-await over listRequests() (the client's item iterator).
    const iterated = [];
    for await (const item of rq.listRequests()) iterated.push(item.id);
    assert.deepEqual(sorted(iterated), expected);

    // paginateRequests with pages of 10: 6 pages, each request exactly once, cursors chained.
    let before = wire.length;
    const pages = [];
    for await (const page of rq.paginateRequests({ maxPageLimit: 10 })) pages.push(page);
    assert.deepEqual(pages.map((p) => p.items.length), [10, 10, 10, 10, 10, 7]);
    pages.forEach((p, i) => {
        assert.equal(p.limit, 10);
        if (i < 5) assert.equal(typeof p.nextCursor, 'string', `page ${i} has nextCursor`);
    });
    assert.equal(pages[5].nextCursor, undefined, 'the last (short) page has no nextCursor');
    const walked = pages.flatMap((p) => ids(p.items));
    assert.equal(new Set(walked).size, 57, 'no request listed twice');
    assert.deepEqual(sorted(walked), expected);
    const calls = listCalls(before);
    assert.equal(calls.length, 6);
    assert.equal(calls[0].params.cursor, undefined);
    for (let i = 1; i < calls.length; i++) assert.equal(calls[i].params.cursor, pages[i - 1].nextCursor, 'cursor chaining');
    for (let i = 1; i < pages.length; i++) {
        if (pages[i].cursor !== undefined) assert.equal(pages[i].cursor, pages[i - 1].nextCursor, 'page echoes its cursor');
    }

    // Pages of 19: the third page is full but ends the scan, so it has no nextCursor (section 6.5:
    // "omit nextCursor once the scan is exhausted") and the iterator makes no 4th call.
    before = wire.length;
    const pages19 = [];
    for await (const page of rq.paginateRequests({ maxPageLimit: 19 })) pages19.push(page);
    assert.deepEqual(pages19.map((p) => p.items.length), [19, 19, 19]);
    assert.equal(typeof pages19[1].nextCursor, 'string');
    assert.equal(pages19[2].nextCursor, undefined, 'no nextCursor once the scan is exhausted');
    assert.equal(listCalls(before).length, 3);
    assert.deepEqual(sorted(pages19.flatMap((p) => ids(p.items))), expected);

    // A total limit: pages of 10, 10, 3.
    before = wire.length;
    const limited = [];
    for await (const page of rq.paginateRequests({ limit: 23, maxPageLimit: 10 })) limited.push(page);
    assert.deepEqual(limited.map((p) => p.items.length), [10, 10, 3]);
    assert.deepEqual(listCalls(before).map((c) => c.params.limit), [10, 10, 3]);
    const limitedIds = limited.flatMap((p) => ids(p.items));
    assert.equal(new Set(limitedIds).size, 23);
    assert.deepEqual(limitedIds, walked.slice(0, 23), 'the same order as the full walk');

    // Manual cursor and the deprecated exclusiveStartId give the same second page.
    const p1 = await rq.listRequests({ limit: 10 });
    const p2 = await rq.listRequests({ limit: 10, cursor: p1.nextCursor });
    const p2b = await rq.listRequests({ limit: 10, exclusiveStartId: p1.items.at(-1).id });
    assert.deepEqual(ids(p1.items), walked.slice(0, 10));
    assert.deepEqual(ids(p2.items), walked.slice(10, 20));
    assert.deepEqual(ids(p2b.items), ids(p2.items), 'exclusiveStartId = cursor after the same id');

    // Filters: 7 handled, 5 locked, 45 pending and unlocked.
    const toHandle = all.items.slice(0, 7);
    for (const item of toHandle) await rq.updateRequest({ ...item, handledAt: new Date().toISOString() });
    const locker = client.requestQueue(queue.id, { clientKey: 'interop-pager' });
    const locked = await locker.listAndLockHead({ lockSecs: 120, limit: 5 });
    assert.equal(locked.items.length, 5);
    const handledIds = ids(toHandle);
    const lockedIds = ids(locked.items);
    const unhandled = expected.filter((id) => !handledIds.includes(id));
    const free = unhandled.filter((id) => !lockedIds.includes(id));
    await assertCounters(rq, { total: 57, handled: 7, pending: 50 });

    const lockedList = await rq.listRequests({ filter: ['locked'] });
    assert.equal(lastWire(wire, 'GET', listPath).params.filter, 'locked');
    assert.deepEqual(sorted(ids(lockedList.items)), sorted(lockedIds), 'filter=locked');
    const pendingList = await rq.listRequests({ filter: ['pending'] });
    const pendingIds = ids(pendingList.items);
    for (const id of free) assert.ok(pendingIds.includes(id), `filter=pending lists free ${id}`);
    for (const id of pendingIds) assert.ok(unhandled.includes(id), `filter=pending lists only unhandled (${id})`);
    const union = await rq.listRequests({ filter: ['locked', 'pending'] });
    assert.equal(lastWire(wire, 'GET', listPath).params.filter, 'locked,pending', 'comma-joined filter');
    assert.deepEqual(sorted(ids(union.items)), sorted(unhandled), 'filter=locked,pending is the union');

    // A filtered walk with small pages, following nextCursor until it is absent (what the Python
    // client does): every locked request exactly once. A filtered page may be empty while
    // nextCursor is present (decision 32), so empty pages are allowed here.
    const lockedWalk = [];
    let cursor;
    let walkCalls = 0;
    do {
        const page = await rq.listRequests({ filter: ['locked'], limit: 10, cursor });
        assert.ok(page.items.length <= 10);
        lockedWalk.push(...ids(page.items));
        cursor = page.nextCursor;
        walkCalls += 1;
    } while (cursor !== undefined && walkCalls < 100);
    assert.equal(walkCalls, 6, 'the filtered walk scans 57 requests in pages of 10');
    assert.deepEqual(sorted(lockedWalk), sorted(lockedIds), 'manual cursor walk with filter=locked');
    // The JS iterator stops at the first empty page (spec section 6.5), so with a sparse filter it
    // may see only a prefix; whatever it yields must be correct and unique.
    const jsLockedWalk = [];
    for await (const page of rq.paginateRequests({ filter: ['locked'], maxPageLimit: 10 })) jsLockedWalk.push(...ids(page.items));
    assert.equal(new Set(jsLockedWalk).size, jsLockedWalk.length);
    for (const id of jsLockedWalk) assert.ok(lockedIds.includes(id), `paginateRequests(filter=locked) yields only locked (${id})`);
    // With a dense filter every page has matches, so the JS iterator sees them all.
    const unionWalk = [];
    for await (const page of rq.paginateRequests({ filter: ['locked', 'pending'], maxPageLimit: 10 })) unionWalk.push(...ids(page.items));
    assert.deepEqual(sorted(unionWalk), sorted(unhandled), 'paginateRequests(filter=locked,pending, pages of 10)');
    await locker.unlockRequests();
});

test('locks with two clientKeys: listAndLockHead, prolong, delete lock, unlock, expiry', async () => {
    const { client, wire } = makeClient();
    const [queue, plain] = await newQueue(client, 'interop-locks');
    const A = client.requestQueue(queue.id, { clientKey: 'interop-client-a' });
    const B = client.requestQueue(queue.id, { clientKey: 'interop-client-b' });
    const C = client.requestQueue(queue.id, { clientKey: 'interop-client-c' });
    const D = client.requestQueue(queue.id, { clientKey: 'interop-client-d' });
    const r = [];
    for (let i = 0; i < 6; i++) {
        r.push((await A.addRequest({ url: `https://example.com/l/${i}`, uniqueKey: `lock-${i}` })).requestId);
    }
    assert.equal(lastWire(wire, 'POST', '/requests').params.clientKey, 'interop-client-a', 'clientKey sent');

    const t0 = Date.now();
    const la = await A.listAndLockHead({ lockSecs: 60, limit: 2 });
    const lockCall = lastWire(wire, 'POST', '/head/lock');
    assert.equal(lockCall.status, 201, 'head/lock answers 201');
    assert.deepEqual([lockCall.params.lockSecs, lockCall.params.limit, lockCall.params.clientKey], [60, 2, 'interop-client-a']);
    assert.deepEqual(ids(la.items), [r[0], r[1]], 'A locks the first two');
    assert.equal(la.limit, 2);
    assert.equal(la.lockSecs, 60);
    assert.equal(la.queueHasLockedRequests, true);
    if (la.clientKey !== undefined) assert.equal(la.clientKey, 'interop-client-a');
    assertDate(la.queueModifiedAt, 'queueModifiedAt');
    for (const item of la.items) {
        assertNear(item.lockExpiresAt, t0 + 60_000, 5_000, 'lockExpiresAt = now + lockSecs');
        assert.equal(item.uniqueKey, `lock-${r.indexOf(item.id)}`);
        assert.ok(!('userData' in item));
    }

    const lb = await B.listAndLockHead({ lockSecs: 60 });
    assert.equal(lb.limit, 25, 'default head/lock limit 25 (decision 11)');
    assert.deepEqual(ids(lb.items), [r[2], r[3], r[4], r[5]], 'B gets only what A did not lock');
    const la2 = await A.listAndLockHead({ lockSecs: 60, limit: 25 });
    assert.deepEqual(la2.items, [], 'nothing is handed out twice');
    assert.equal(la2.queueHasLockedRequests, true);
    assert.equal((await plain.get()).hadMultipleClients, true, 'two clientKeys -> hadMultipleClients');
    assert.deepEqual(sorted(ids((await plain.listRequests({ filter: ['locked'] })).items)), sorted(r));
    await assertCounters(plain, { total: 6, handled: 0, pending: 6 });

    // Prolong: only the owner; new expiry = now + lockSecs (decision 27).
    const t1 = Date.now();
    const prolonged = await A.prolongRequestLock(r[0], { lockSecs: 120 });
    assert.deepEqual(Object.keys(prolonged), ['lockExpiresAt']);
    assertNear(prolonged.lockExpiresAt, t1 + 120_000, 5_000, 'prolonged lockExpiresAt');
    assert.equal(lastWire(wire, 'PUT', `/requests/${r[0]}/lock`).params.lockSecs, 120);
    await expectApiError(() => B.prolongRequestLock(r[0], { lockSecs: 10 }), 403, 'insufficient-permissions');
    await expectApiError(() => B.deleteRequestLock(r[0]), 400, 'request-handled-or-locked');
    await expectApiError(() => plain.deleteRequestLock(r[0]), 400, 'request-handled-or-locked');

    // Delete lock: r1 goes back to the queue, and C can take it; then A cannot unlock it any more.
    await A.deleteRequestLock(r[1]);
    assert.equal(lastWire(wire, 'DELETE', `/requests/${r[1]}/lock`).status, 204);
    assert.deepEqual(ids((await D.listHead()).items), [r[1]], 'the head shows only the unlocked request');
    const lc = await C.listAndLockHead({ lockSecs: 60 });
    assert.deepEqual(ids(lc.items), [r[1]]);
    await expectApiError(() => A.deleteRequestLock(r[1]), 400, 'request-handled-or-locked');
    await expectApiError(() => A.prolongRequestLock(r[1], { lockSecs: 10 }), 403, 'insufficient-permissions');

    // Delete lock with forefront: r4 to the front, r5 to the end.
    await B.deleteRequestLock(r[5]);
    await B.deleteRequestLock(r[4], { forefront: true });
    assert.equal(lastWire(wire, 'DELETE', `/requests/${r[4]}/lock`).params.forefront, true);
    assert.deepEqual(ids((await D.listHead()).items), [r[4], r[5]]);
    const ld = await D.listAndLockHead({ lockSecs: 60, limit: 1 });
    assert.deepEqual(ids(ld.items), [r[4]], 'forefront unlock is first in line');

    // Unlock everything a client holds.
    assert.deepEqual(await A.unlockRequests(), { unlockedCount: 1 }, 'A holds r0');
    assert.equal(lastWire(wire, 'POST', '/requests/unlock').status, 200);
    assert.deepEqual(await B.unlockRequests(), { unlockedCount: 2 }, 'B holds r2, r3');
    assert.deepEqual(await C.unlockRequests(), { unlockedCount: 1 }, 'C holds r1');
    assert.deepEqual(await B.unlockRequests(), { unlockedCount: 0 }, 'nothing left for B');
    assert.deepEqual(ids((await plain.listRequests({ filter: ['locked'] })).items), [r[4]], 'only D still holds r4');
    assert.deepEqual(await D.unlockRequests(), { unlockedCount: 1 });
    assert.deepEqual((await plain.listRequests({ filter: ['locked'] })).items, []);
    assert.deepEqual(sorted(ids((await D.listHead()).items)), sorted(r), 'all six are back in the head');

    // Handling a locked request releases it and takes it out of the head for everybody.
    const [x] = (await A.listAndLockHead({ lockSecs: 60, limit: 1 })).items;
    const full = await A.getRequest(x.id);
    assert.deepEqual(
        await A.updateRequest({ ...full, handledAt: new Date().toISOString() }),
        { requestId: x.id, wasAlreadyPresent: true, wasAlreadyHandled: false },
    );
    const rest = await B.listAndLockHead({ lockSecs: 60, limit: 25 });
    assert.deepEqual(sorted(ids(rest.items)), sorted(r.filter((id) => id !== x.id)));
    for (const item of rest.items) {
        const req = await B.getRequest(item.id);
        await B.updateRequest({ ...req, handledAt: new Date().toISOString() });
    }
    const done = await A.listAndLockHead({ lockSecs: 60, limit: 25 });
    assert.deepEqual(done.items, []);
    assert.equal(done.queueHasLockedRequests, false, 'no locks left once everything is handled');
    assert.deepEqual(await B.unlockRequests(), { unlockedCount: 0 }, 'handling released B\'s locks');
    await assertCounters(plain, { total: 6, handled: 6, pending: 0 });
});

test('lock expiry: an expired lock frees the request for another client; retryCount unchanged', async () => {
    const { client } = makeClient();
    const [queue] = await newQueue(client, 'interop-expiry');
    const A = client.requestQueue(queue.id, { clientKey: 'expiry-a' });
    const B = client.requestQueue(queue.id, { clientKey: 'expiry-b' });
    const { requestId } = await A.addRequest({ url: 'https://example.com/e', uniqueKey: 'expiry', retryCount: 2 });
    const la = await A.listAndLockHead({ lockSecs: 1, limit: 1 });
    assert.deepEqual(ids(la.items), [requestId]);
    assert.deepEqual((await B.listAndLockHead({ lockSecs: 60, limit: 1 })).items, [], 'locked for 1 s');
    await sleep(1600);
    const lb = await B.listAndLockHead({ lockSecs: 60, limit: 1 });
    assert.deepEqual(ids(lb.items), [requestId], 'after expiry another client gets it');
    assert.equal(lb.items[0].retryCount, 2, 'retryCount unchanged by expiry');
    assert.equal((await B.getRequest(requestId)).retryCount, 2);
    await expectApiError(() => A.prolongRequestLock(requestId, { lockSecs: 10 }), 403, 'insufficient-permissions');
    assert.deepEqual(await B.unlockRequests(), { unlockedCount: 1 });
});

test('rate limits: the client retries 429 and unprocessed batch items until everything succeeds', async () => {
    const { client, wire } = makeClient();
    const [queue, rq] = await newQueue(client, 'interop-rate');

    // 200 concurrent GETs of one queue (limit 60/s for queue reads): more than three 1-second
    // windows can take, so some must be refused however the burst straddles window edges.
    const results = await Promise.all(Array.from({ length: 200 }, () => rq.get()));
    for (const q of results) assert.equal(q?.id, queue.id);
    const limitedGets = wire.filter((e) => e.status === 429);
    assert.ok(limitedGets.length > 0, 'the fake rate-limits 200 concurrent reads of one queue');
    for (const e of limitedGets) assert.equal(e.responseBody?.error?.type, 'rate-limit-exceeded');
    assert.equal(client.stats.rateLimitErrors.reduce((a, b) => a + b, 0), limitedGets.length, 'the client counted each 429');
    // Every attempt got an HTTP answer: no connection was left waiting until the client's 5 s
    // timeout (the client keeps up to 256 keep-alive sockets open at once).
    assert.equal(client.stats.requests, wire.length,
        `${client.stats.requests - wire.length} of ${client.stats.requests} attempts got no HTTP response (timeout or reset)`);

    // 130 concurrent single-item batch adds (limit 40/s for batch ops, so > 3 windows' worth).
    const keys = Array.from({ length: 130 }, (_, i) => `rate-${i}`);
    const batchResults = await Promise.all(keys.map((uniqueKey) => rq.batchAddRequests([{ url: 'https://example.com/r', uniqueKey }])));
    batchResults.forEach((res, i) => {
        assert.deepEqual(res.unprocessedRequests, [], `batch ${i} finally processed`);
        assert.deepEqual(res.processedRequests.map((p) => p.uniqueKey), [keys[i]]);
    });
    const batchCalls = wire.filter((e) => e.method === 'POST' && e.url.pathname.endsWith('/requests/batch'));
    const throttled = batchCalls.filter((e) => e.status === 429 || (e.responseBody?.data?.unprocessedRequests?.length ?? 0) > 0);
    assert.ok(throttled.length > 0, 'the fake throttled some of 130 concurrent batch calls (429 or unprocessedRequests)');
    await assertCounters(rq, { total: 130, handled: 0, pending: 130 });
    // Every response carries X-RateLimit-Limit (decision 37).
    for (const e of wire) assert.ok(e.responseHeaders['x-ratelimit-limit'], `X-RateLimit-Limit on ${e.method} ${e.url.pathname}`);
    assert.ok(QUEUE_ID_RE.test(queue.id));
});
