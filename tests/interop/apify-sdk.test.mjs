// Interop (issue 18): the Apify SDK (`apify` from npm) with Actor.openRequestQueue, pushData,
// setValue/getValue pointed at rq-fake through its environment variables alone. The variables
// (docs/storages.md, "The Apify SDK"): APIFY_IS_AT_HOME=1 makes the SDK use the API instead of
// local files; APIFY_API_BASE_URL and APIFY_TOKEN say where and who; without a run to look up,
// APIFY_ACTOR_PRICING_INFO and APIFY_CHARGED_ACTOR_EVENT_COUNTS must be given (else Actor.init
// asks GET /v2/actor-runs/{ACTOR_RUN_ID}, which rq-fake answers 501). Without
// ACTOR_DEFAULT_*_ID the SDK opens storages named "default".
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ApifyClient } from 'apify-client';

import { fakeUrl } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs sdk-actor.mjs with the given environment in an empty directory; returns its report. */
function runActor(env) {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'rq-sdk-'));
    return new Promise((resolve, reject) => {
        const childEnv = { PATH: process.env.PATH, HOME: process.env.HOME, APIFY_LOG_LEVEL: 'WARNING', ...env };
        execFile(process.execPath, [path.join(here, 'sdk-actor.mjs')], { cwd, env: childEnv, timeout: 120_000 }, (err, stdout, stderr) => {
            const leftovers = fs.readdirSync(cwd);
            fs.rmSync(cwd, { recursive: true, force: true });
            if (err) {
                reject(new Error(`the actor failed (${err.message}):\n${stderr}\n${stdout}`));
                return;
            }
            const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
            resolve({ report: JSON.parse(line), leftovers, stderr });
        });
    });
}

function sdkEnv(token, extra = {}) {
    return {
        APIFY_IS_AT_HOME: '1',
        APIFY_API_BASE_URL: fakeUrl(),
        APIFY_TOKEN: token,
        APIFY_ACTOR_PRICING_INFO: '{}',
        APIFY_CHARGED_ACTOR_EVENT_COUNTS: '{}',
        ...extra,
    };
}

test('Apify SDK: default storages by name through the environment alone', async () => {
    const token = `sdk-${process.pid}-${Date.now()}`;
    const { report, leftovers } = await runActor(sdkEnv(token));
    assert.deepEqual(leftovers, [], 'nothing was written to local storage');
    assert.deepEqual(report.handled, ['https://example.com/1', 'https://example.com/2', 'https://example.com/3']);
    assert.deepEqual(report.output, { handled: report.handled }, 'getValue reads what setValue wrote');
    assert.equal(report.notes, 'written by the SDK ✓');
    assert.equal(report.input, null, 'no INPUT record yet');

    const client = new ApifyClient({ baseUrl: fakeUrl(), token });
    const store = await client.keyValueStore(report.storeId).get();
    assert.equal(store.name, 'default', 'the SDK made its default store by name');
    const dataset = await client.dataset(report.datasetId).get();
    assert.equal(dataset.name, 'default');
    assert.equal(dataset.itemCount, 5);
    const { items } = await client.dataset(report.datasetId).listItems();
    assert.deepEqual(items, [
        { url: 'https://example.com/1', n: 1 },
        { url: 'https://example.com/2', n: 2 },
        { url: 'https://example.com/3', n: 3 },
        { batch: 1 },
        { batch: 2 },
    ]);
    const queue = await client.requestQueue(report.queueId).get();
    assert.equal(queue.name, 'default');
    assert.equal(queue.handledRequestCount, 3);
    assert.equal(queue.pendingRequestCount, 0);
    const kv = client.keyValueStore(report.storeId);
    const bytes = await kv.getRecord('bytes.bin', { buffer: true });
    assert.ok(bytes.value.equals(Buffer.from([0, 1, 2, 253, 254, 255])));
    assert.equal(bytes.contentType, 'application/octet-stream');
    const notes = await kv.getRecord('notes.txt', { buffer: true });
    assert.equal(notes.value.toString('utf8'), 'written by the SDK ✓');

    // A second run of the same user finds the same default storages (200, not new ones).
    const again = await runActor(sdkEnv(token));
    assert.equal(again.report.storeId, report.storeId);
    assert.equal(again.report.datasetId, report.datasetId);
    assert.equal(again.report.queueId, report.queueId);
    assert.deepEqual(again.report.handled, [], 'the queue remembers the handled requests');
    assert.equal((await client.dataset(report.datasetId).get()).itemCount, 7);
});

test('Apify SDK: default storage ids from ACTOR_DEFAULT_*_ID, INPUT from the store', async () => {
    const token = `sdk-ids-${process.pid}-${Date.now()}`;
    const client = new ApifyClient({ baseUrl: fakeUrl(), token });
    const store = await client.keyValueStores().getOrCreate();
    const dataset = await client.datasets().getOrCreate();
    const queue = await client.requestQueues().getOrCreate();
    const input = { urls: ['https://example.com/in-1', 'https://example.com/in-2'] };
    await client.keyValueStore(store.id).setRecord({ key: 'INPUT', value: input });
    const { report } = await runActor(sdkEnv(token, {
        ACTOR_DEFAULT_KEY_VALUE_STORE_ID: store.id,
        ACTOR_DEFAULT_DATASET_ID: dataset.id,
        ACTOR_DEFAULT_REQUEST_QUEUE_ID: queue.id,
    }));
    assert.deepEqual(report.input, input, 'Actor.getInput() reads INPUT of the default store');
    assert.equal(report.storeId, store.id);
    assert.equal(report.datasetId, dataset.id);
    assert.equal(report.queueId, queue.id);
    assert.deepEqual(report.handled, input.urls);
    assert.equal((await client.dataset(dataset.id).get()).itemCount, 4);
    assert.deepEqual((await client.keyValueStore(store.id).getRecord('OUTPUT')).value, { handled: input.urls });
    assert.equal((await client.requestQueue(queue.id).get()).handledRequestCount, 2);
    const named = await client.keyValueStores().list();
    assert.ok(!named.items.some((s) => s.name === 'default'), 'no store named "default" was made');
});
