// An Actor as a user writes one, run by apify-sdk.test.mjs in a child process whose environment
// points the Apify SDK at rq-fake (docs/storages.md, "The Apify SDK"). It touches the default
// request queue, dataset and key-value store and prints one JSON line with what it saw.
import { Actor } from 'apify';

await Actor.init();
const input = await Actor.getInput();
const queue = await Actor.openRequestQueue();
const urls = input?.urls ?? ['https://example.com/1', 'https://example.com/2', 'https://example.com/3'];
await queue.addRequests(urls.map((url) => ({ url })));
const handled = [];
for (let request = await queue.fetchNextRequest(); request; request = await queue.fetchNextRequest()) {
    handled.push(request.url);
    await Actor.pushData({ url: request.url, n: handled.length });
    await queue.markRequestHandled(request);
}
await Actor.pushData([{ batch: 1 }, { batch: 2 }]);
await Actor.setValue('OUTPUT', { handled });
await Actor.setValue('notes.txt', 'written by the SDK ✓', { contentType: 'text/plain; charset=utf-8' });
await Actor.setValue('bytes.bin', Buffer.from([0, 1, 2, 253, 254, 255]), { contentType: 'application/octet-stream' });
const output = await Actor.getValue('OUTPUT');
const notes = await Actor.getValue('notes.txt');
const dataset = await Actor.openDataset();
const store = await Actor.openKeyValueStore();
console.log(JSON.stringify({ input, handled, output, notes, queueId: queue.id, datasetId: dataset.id, storeId: store.id }));
await Actor.exit();
