// Interop (issue 18): every KeyValueStoreClient / KeyValueStoreCollectionClient and DatasetClient /
// DatasetCollectionClient method of the official apify-client, and user('me').get(), against
// rq-fake. docs/storages.md lists the endpoints and the choices where the API docs are silent;
// the expectations below follow it.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';

import { ApifyClient } from 'apify-client';

import { assertDate, expectApiError, fakeUrl, filler, makeClient, TOKEN, uniqueName } from './helpers.mjs';

const ID_RE = /^[a-zA-Z0-9]{17}$/;
const lastWire = (wire, method, re) => wire.filter((e) => e.method === method && re.test(e.url.pathname)).at(-1);

function assertStorageObject(s, { name, userId } = {}) {
    assert.ok(s, 'storage object expected');
    assert.match(s.id, ID_RE, 'id');
    if (name !== undefined) assert.equal(s.name ?? null, name, 'name');
    assert.equal(typeof s.userId, 'string', 'userId');
    if (userId !== undefined) assert.equal(s.userId, userId, 'userId');
    for (const key of ['createdAt', 'modifiedAt', 'accessedAt']) assertDate(s[key], key);
    assert.equal(typeof s.consoleUrl, 'string', 'consoleUrl');
}

/** A client of another user (another token: every token is a user of its own). */
function otherClient() {
    return new ApifyClient({ token: `${TOKEN}-other`, baseUrl: fakeUrl(), maxRetries: 0 });
}

test('users: me and by id or username', async () => {
    const { client } = makeClient();
    const me = await client.user('me').get();
    assert.match(me.id, ID_RE);
    assert.equal(typeof me.username, 'string');
    assert.ok(me.username.length > 0);
    // UserPrivateInfo's required fields.
    assert.equal(typeof me.plan, 'object');
    assert.equal(typeof me.plan.availableProxyGroups, 'object');
    assert.equal(typeof me.effectivePlatformFeatures, 'object');
    for (const f of ['ACTORS', 'STORAGE', 'SCHEDULER', 'PROXY', 'PROXY_EXTERNAL_ACCESS', 'PROXY_RESIDENTIAL', 'PROXY_SERPS', 'WEBHOOKS', 'ACTORS_PUBLIC_ALL', 'ACTORS_PUBLIC_DEVELOPER']) {
        assert.equal(typeof me.effectivePlatformFeatures[f]?.isEnabled, 'boolean', `effectivePlatformFeatures.${f}`);
    }
    assert.equal(typeof me.isPaying, 'boolean');
    // The owner of a store is the same user.
    const store = await client.keyValueStores().getOrCreate(uniqueName('user-kvs'));
    assert.equal(store.userId, me.id);
    assert.equal(store.username, me.username);
    // Public data by id and by username (no token needed).
    const anon = new ApifyClient({ baseUrl: fakeUrl(), maxRetries: 0 });
    for (const ref of [me.id, me.username]) {
        const pub = await anon.user(ref).get();
        assert.equal(pub?.username, me.username, `user(${ref})`);
        assert.equal(pub.email, undefined, 'public data has no email');
    }
    assert.equal(await anon.user('nobody-at-all').get(), undefined, 'an unknown user is absent (404)');
    await expectApiError(() => anon.user('me').get(), 401);
    // Not emulated: loudly 501.
    const noRetry = new ApifyClient({ token: TOKEN, baseUrl: fakeUrl(), maxRetries: 0 });
    await expectApiError(() => noRetry.user('me').limits(), 501, 'not-implemented');
    await expectApiError(() => noRetry.user('me').monthlyUsage(), 501, 'not-implemented');
});

test('key-value store collection: getOrCreate, list, unnamed, desc, iteration', async () => {
    const { client, wire } = makeClient();
    const coll = client.keyValueStores();
    const name = uniqueName('kvs-coll');
    const created = await coll.getOrCreate(name);
    assertStorageObject(created, { name });
    const createCall = lastWire(wire, 'POST', /^\/v2\/key-value-stores$/);
    assert.equal(createCall.status, 201);
    assert.ok(createCall.responseHeaders.location.endsWith(`/v2/key-value-stores/${created.id}`));
    const again = await coll.getOrCreate(name);
    assert.equal(again.id, created.id);
    assert.equal(lastWire(wire, 'POST', /^\/v2\/key-value-stores$/).status, 200, 'an existing name: 200');
    const unnamedA = await coll.getOrCreate();
    const unnamedB = await coll.getOrCreate();
    assert.notEqual(unnamedA.id, unnamedB.id, 'each unnamed create is a new store');
    assert.equal(unnamedA.name ?? null, null);

    const named = await coll.list();
    assert.ok(named.items.some((s) => s.id === created.id));
    assert.ok(!named.items.some((s) => s.id === unnamedA.id), 'unnamed stores only with unnamed=1');
    const all = await coll.list({ unnamed: true });
    for (const id of [created.id, unnamedA.id, unnamedB.id]) assert.ok(all.items.some((s) => s.id === id));
    assert.equal(all.total, all.items.length);
    assert.equal(typeof all.offset, 'number');
    assert.equal(typeof all.limit, 'number');
    const desc = await coll.list({ unnamed: true, desc: true, limit: 2 });
    assert.equal(desc.desc, true);
    assert.equal(desc.items[0].id, unnamedB.id, 'desc: newest first');
    assert.equal(desc.items.length, 2);
    const ids = [];
    for await (const s of coll.list({ unnamed: true, limit: 2 })) ids.push(s.id);
    assert.ok(ids.length >= 2);
    await expectApiError(() => coll.getOrCreate('bad name!'), 400);
});

test('key-value store: get, update, delete, by id and by username/name, another user', async () => {
    const { client } = makeClient();
    const name = uniqueName('kvs-obj');
    const store = await client.keyValueStores().getOrCreate(name);
    const kv = client.keyValueStore(store.id);
    const got = await kv.get();
    assertStorageObject(got, { name, userId: store.userId });
    const byName = await client.keyValueStore(`${store.username}/${name}`).get();
    assert.equal(byName?.id, store.id, 'username/name reaches the store (the client sends username~name)');
    const renamed = await kv.update({ name: `${name}-r` });
    assert.equal(renamed.name, `${name}-r`);
    assert.ok(renamed.modifiedAt.getTime() >= got.modifiedAt.getTime());
    const other = otherClient();
    assert.equal((await other.keyValueStore(store.id).get())?.id, store.id, 'a raw id is readable by anyone');
    await expectApiError(() => other.keyValueStore(store.id).update({ name: 'stolen' }), 403, 'insufficient-permissions');
    await expectApiError(() => other.keyValueStore(store.id).setRecord({ key: 'k', value: 'v' }), 403, 'insufficient-permissions');
    await kv.update({ generalAccess: 'RESTRICTED' });
    await expectApiError(() => other.keyValueStore(store.id).getRecord('k'), 403, 'insufficient-permissions');
    await expectApiError(() => other.keyValueStore(store.id).delete(), 403, 'insufficient-permissions');
    await kv.delete();
    assert.equal(await kv.get(), undefined, 'deleted');
    await kv.delete(); // absent: the client swallows the 404
    assert.equal(await client.keyValueStore('AAAAAAAAAAAAAAAAA').get(), undefined);
    await expectApiError(() => client.keyValueStore('AAAAAAAAAAAAAAAAA').setRecord({ key: 'k', value: 'v' }), 404, 'record-not-found');
});

test('key-value store records: JSON, text and binary read back byte for byte', async () => {
    const { client, wire } = makeClient();
    const store = await client.keyValueStores().getOrCreate(uniqueName('kvs-rec'));
    const kv = client.keyValueStore(store.id);

    const json = { a: 1, nested: { b: [1, 2, 3] }, text: 'žluťoučký kůň' };
    await kv.setRecord({ key: 'json', value: json });
    const put = lastWire(wire, 'PUT', /\/records\/json$/);
    assert.equal(put.status, 201, 'PUT record answers 201');
    const r1 = await kv.getRecord('json');
    assert.deepEqual(r1.value, json);
    assert.equal(r1.contentType, 'application/json; charset=utf-8');
    const raw = await kv.getRecord('json', { buffer: true });
    assert.ok(Buffer.isBuffer(raw.value));
    assert.equal(raw.value.toString('utf8'), JSON.stringify(json, null, 2), 'the JSON text exactly as sent');

    await kv.setRecord({ key: 'text', value: 'plain text\r\nwith lines ✓' });
    const r2 = await kv.getRecord('text');
    assert.equal(r2.value, 'plain text\r\nwith lines ✓');
    assert.equal(r2.contentType, 'text/plain; charset=utf-8');

    const png = crypto.randomBytes(5000);
    png[0] = 0x89;
    await kv.setRecord({ key: 'image.png', value: png, contentType: 'image/png' });
    assert.equal(lastWire(wire, 'PUT', /\/records\/image\.png$/).contentEncoding, 'br', 'the client compressed the body');
    const r3 = await kv.getRecord('image.png');
    assert.ok(Buffer.isBuffer(r3.value));
    assert.equal(r3.contentType, 'image/png');
    assert.ok(r3.value.equals(png), 'binary bytes round-trip');

    const big = filler(200_000, 'big-text');
    await kv.setRecord({ key: 'big', value: big, contentType: 'text/html' });
    assert.equal((await kv.getRecord('big')).value, big);
    const stream = await kv.getRecord('big', { stream: true });
    const chunks = [];
    for await (const c of stream.value) chunks.push(c);
    assert.equal(Buffer.concat(chunks).toString('utf8'), big, 'stream option');

    assert.equal(await kv.recordExists('json'), true);
    assert.equal(await kv.recordExists('missing'), false);
    assert.equal(await kv.getRecord('missing'), undefined);
    await kv.deleteRecord('json');
    assert.equal(await kv.recordExists('json'), false);
    await kv.deleteRecord('json'); // absent: 204 again
    const info = await kv.get();
    assert.ok(info.modifiedAt.getTime() >= store.modifiedAt.getTime());

    // Odd keys: the client puts them in the path as they are.
    await expectApiError(() => kv.setRecord({ key: 'a b', value: 'v' }), 400, 'invalid-record-key');
    await expectApiError(() => kv.setRecord({ key: 'x'.repeat(257), value: 'v' }), 400, 'invalid-record-key');
    // Over the record limit (9437184 bytes after decoding): 413, nothing stored.
    const noRetry = new ApifyClient({ token: TOKEN, baseUrl: fakeUrl(), maxRetries: 0 });
    await expectApiError(() => noRetry.keyValueStore(store.id).setRecord({ key: 'huge', value: crypto.randomBytes(9437185) }), 413, 'request-too-large');
    assert.equal(await kv.recordExists('huge'), false);
});

test('key-value store keys: pages, exclusiveStartKey, prefix, sizes, iteration, public URLs', async () => {
    const { client } = makeClient({ publicBaseUrl: fakeUrl() });
    const store = await client.keyValueStores().getOrCreate(uniqueName('kvs-keys'));
    const kv = client.keyValueStore(store.id);
    const keys = Array.from({ length: 25 }, (_, i) => `key-${String(i).padStart(2, '0')}`);
    for (const [i, key] of keys.entries()) await kv.setRecord({ key, value: 'x'.repeat(i + 1), contentType: 'text/plain' });
    await kv.setRecord({ key: 'other', value: 'o', contentType: 'text/plain' });

    const first = await kv.listKeys({ limit: 10 });
    assert.deepEqual(first.items.map((k) => k.key), keys.slice(0, 10));
    assert.deepEqual(first.items.map((k) => k.size), Array.from({ length: 10 }, (_, i) => i + 1));
    assert.equal(first.isTruncated, true);
    assert.equal(first.nextExclusiveStartKey, 'key-09');
    assert.equal(first.count, 10);
    assert.equal(first.limit, 10);
    const second = await kv.listKeys({ limit: 10, exclusiveStartKey: first.nextExclusiveStartKey });
    assert.equal(second.exclusiveStartKey, 'key-09');
    assert.deepEqual(second.items.map((k) => k.key), keys.slice(10, 20));
    const all = await kv.listKeys();
    assert.equal(all.isTruncated, false);
    assert.equal(all.nextExclusiveStartKey ?? null, null);
    assert.deepEqual(all.items.map((k) => k.key), [...keys, 'other']);
    const pref = await kv.listKeys({ prefix: 'key-1' });
    assert.deepEqual(pref.items.map((k) => k.key), keys.slice(10, 20));
    const iterated = [];
    for await (const k of kv.listKeys({ limit: 7 })) iterated.push(k.key);
    assert.equal(iterated.length, 7, 'the iterator honours the overall limit');
    for (const item of all.items) assert.equal(typeof item.recordPublicUrl, 'string', 'recordPublicUrl');

    // Public URLs (no urlSigningSecretKey: no signature) are fetchable without a token.
    const recordUrl = await kv.getRecordPublicUrl('key-03');
    assert.ok(recordUrl.startsWith(`${fakeUrl()}/v2/key-value-stores/${store.id}/records/key-03`), recordUrl);
    const res = await fetch(recordUrl);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'xxxx');
    const keysUrl = await kv.createKeysPublicUrl({ prefix: 'key-2' });
    const listed = await (await fetch(keysUrl)).json();
    assert.deepEqual(listed.data.items.map((k) => k.key), keys.slice(20));
});

test('dataset collection: getOrCreate, list, unnamed, desc', async () => {
    const { client, wire } = makeClient();
    const coll = client.datasets();
    const name = uniqueName('ds-coll');
    const created = await coll.getOrCreate(name);
    assertStorageObject(created, { name });
    assert.equal(created.itemCount, 0);
    assert.equal(created.cleanItemCount, 0);
    assert.equal(lastWire(wire, 'POST', /^\/v2\/datasets$/).status, 201);
    assert.equal((await coll.getOrCreate(name)).id, created.id);
    assert.equal(lastWire(wire, 'POST', /^\/v2\/datasets$/).status, 200);
    const unnamed = await coll.getOrCreate();
    const list = await coll.list();
    assert.ok(list.items.some((d) => d.id === created.id));
    assert.ok(!list.items.some((d) => d.id === unnamed.id));
    const all = await coll.list({ unnamed: true, desc: true });
    assert.equal(all.items[0].id, unnamed.id, 'desc: newest first');
    for (const d of all.items) assert.equal(typeof d.itemCount, 'number');
});

test('dataset: push items in every shape, list with offset/limit/desc, pagination headers', async () => {
    const { client, wire } = makeClient();
    const ds = await client.datasets().getOrCreate(uniqueName('ds-items'));
    const dc = client.dataset(ds.id);
    await dc.pushItems({ i: 0 });
    assert.equal(lastWire(wire, 'POST', /\/items$/).status, 201);
    await dc.pushItems([{ i: 1 }, { i: 2 }]);
    await dc.pushItems(JSON.stringify({ i: 3 }));
    await dc.pushItems([JSON.stringify({ i: 4 }), JSON.stringify({ i: 5 })]);
    const many = Array.from({ length: 200 }, (_, k) => ({ i: 6 + k, pad: filler(50, k) }));
    await dc.pushItems(many);
    const total = 206;

    const page = await dc.listItems();
    assert.equal(page.total, total);
    assert.equal(page.count, total);
    assert.equal(page.offset, 0);
    assert.deepEqual(page.items.slice(0, 6), [0, 1, 2, 3, 4, 5].map((i) => ({ i })));
    assert.deepEqual(page.items.map((it) => it.i), Array.from({ length: total }, (_, i) => i), 'push order');
    const get = lastWire(wire, 'GET', /\/items$/);
    for (const h of ['x-apify-pagination-total', 'x-apify-pagination-offset', 'x-apify-pagination-limit', 'x-apify-pagination-count']) {
        assert.ok(get.responseHeaders[h] !== undefined, `${h} header`);
    }
    assert.equal(get.responseHeaders['x-apify-pagination-total'], String(total));

    const slice = await dc.listItems({ offset: 10, limit: 5 });
    assert.deepEqual(slice.items.map((it) => it.i), [10, 11, 12, 13, 14]);
    assert.equal(slice.limit, 5);
    assert.equal(slice.offset, 10);
    const desc = await dc.listItems({ offset: 2, limit: 3, desc: true });
    assert.deepEqual(desc.items.map((it) => it.i), [total - 3, total - 4, total - 5], 'desc: offset from the newest');
    assert.equal(desc.desc, true);
    const beyond = await dc.listItems({ offset: 10_000 });
    assert.deepEqual(beyond.items, []);
    const iterated = [];
    for await (const it of dc.listItems({ chunkSize: 50 })) iterated.push(it.i);
    assert.equal(iterated.length, total, 'the iterator reaches every item in chunks');

    const info = await dc.get();
    assert.equal(info.itemCount, total);
    assert.equal(info.cleanItemCount, total);
    const stats = await dc.getStatistics();
    assert.ok(stats && typeof stats === 'object', 'statistics');
});

test('dataset: fields, omit, clean, skipHidden, skipEmpty, formats', async () => {
    const { client } = makeClient();
    const ds = await client.datasets().getOrCreate(uniqueName('ds-shape'));
    const dc = client.dataset(ds.id);
    await dc.pushItems([
        { b: 2, a: 1, '#debug': 'x', c: { d: 4 } },
        { '#only': 'hidden' },
        {},
        { a: 10, b: 20 },
    ]);
    const info = await dc.get();
    assert.equal(info.itemCount, 4);
    assert.equal(info.cleanItemCount, 2, 'items with a visible field');

    const fields = await dc.listItems({ fields: ['c', 'a'] });
    assert.deepEqual(fields.items[0], { c: { d: 4 }, a: 1 });
    assert.deepEqual(Object.keys(fields.items[0]), ['c', 'a'], 'fields in the order asked');
    assert.deepEqual(fields.items[3], { a: 10 });
    const omit = await dc.listItems({ omit: ['b', '#debug'] });
    assert.deepEqual(omit.items[0], { a: 1, c: { d: 4 } });
    const hidden = await dc.listItems({ skipHidden: true });
    assert.deepEqual(hidden.items.map((it) => Object.keys(it)), [['b', 'a', 'c'], [], [], ['a', 'b']]);
    const empty = await dc.listItems({ skipEmpty: true });
    assert.equal(empty.items.length, 3, 'skipEmpty drops {} only');
    assert.equal(empty.total, 4, 'total counts every item');
    const clean = await dc.listItems({ clean: true });
    assert.deepEqual(clean.items, [{ b: 2, a: 1, c: { d: 4 } }, { a: 10, b: 20 }], 'clean = skipHidden + skipEmpty');

    const asJson = await dc.downloadItems('json');
    assert.ok(Buffer.isBuffer(asJson));
    assert.equal(JSON.parse(asJson.toString('utf8')).length, 4);
    const asJsonl = await dc.downloadItems('jsonl', { clean: true });
    const lines = asJsonl.toString('utf8').split('\n').filter((l) => l.length > 0);
    assert.deepEqual(lines.map((l) => JSON.parse(l)), [{ b: 2, a: 1, c: { d: 4 } }, { a: 10, b: 20 }]);
    // Formats rq-fake does not serve are refused with a 400, never answered as JSON.
    for (const format of ['csv', 'xlsx', 'xml', 'html', 'rss']) {
        await expectApiError(() => dc.downloadItems(format), 400);
    }
});

test('dataset: invalid pushes store nothing; ownership; update and delete', async () => {
    const { client } = makeClient();
    const name = uniqueName('ds-bad');
    const ds = await client.datasets().getOrCreate(name);
    const dc = client.dataset(ds.id);
    await dc.pushItems([{ ok: 1 }]);
    // As text, so the client's own argument check does not stop them first.
    await expectApiError(() => dc.pushItems('[{"ok":2},3]'), 400);
    await expectApiError(() => dc.pushItems('[{"ok":2},[{"nested":"array"}]]'), 400);
    await expectApiError(() => dc.pushItems('[{"ok":2},null]'), 400);
    await expectApiError(() => dc.pushItems('{"broken": '), 400);
    await expectApiError(() => dc.pushItems('"a string"'), 400);
    const noRetry = new ApifyClient({ token: TOKEN, baseUrl: fakeUrl(), maxRetries: 0 });
    const huge = JSON.stringify([{ blob: crypto.randomBytes(7_100_000).toString('base64') }]);
    assert.ok(Buffer.byteLength(huge) > 9437184);
    await expectApiError(() => noRetry.dataset(ds.id).pushItems(huge), 413, 'request-too-large');
    assert.equal((await dc.get()).itemCount, 1, 'nothing of a refused push was stored');
    // A body that is not JSON by its Content-Type.
    const res = await fetch(`${fakeUrl()}/v2/datasets/${ds.id}/items`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
        body: '{"ok":3}',
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.type, 'invalid-content-type-header');

    const other = otherClient();
    assert.equal((await other.dataset(ds.id).listItems()).items.length, 1, 'a raw id is readable');
    await expectApiError(() => other.dataset(ds.id).pushItems({ evil: 1 }), 403, 'insufficient-permissions');
    await expectApiError(() => client.dataset('AAAAAAAAAAAAAAAAA').pushItems({ a: 1 }), 404, 'record-not-found');
    const byName = await client.dataset(`${ds.username}/${name}`).get();
    assert.equal(byName?.id, ds.id);

    const updated = await dc.update({ name: `${name}-r`, generalAccess: 'RESTRICTED' });
    assert.equal(updated.name, `${name}-r`);
    await expectApiError(() => other.dataset(ds.id).listItems(), 403, 'insufficient-permissions');
    await dc.delete();
    assert.equal(await dc.get(), undefined);
});
