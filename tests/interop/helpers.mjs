// Shared helpers of the interop tests: the client factory, the wire log, request ids and
// a few assertions. The tests run against rq-fake, started by run-interop.sh, which exports
// RQ_FAKE_URL=http://HOST:PORT (the client appends /v2 itself).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';

import { ApifyApiError, ApifyClient } from 'apify-client';

export const TOKEN = 'interop-token';

export function fakeUrl() {
    const url = process.env.RQ_FAKE_URL;
    if (!url) throw new Error('RQ_FAKE_URL is not set: run the tests through tests/interop/run-interop.sh');
    return url;
}

/**
 * A client against rq-fake plus a log of every HTTP exchange it made. The log comes from a
 * response interceptor on the client's own axios instance, so it shows each attempt (retries
 * included) with the final request headers (after the client's compression) and the parsed body.
 */
export function makeClient(options = {}) {
    const client = new ApifyClient({ token: TOKEN, baseUrl: fakeUrl(), ...options });
    const wire = [];
    client.httpClient.axios.interceptors.response.use((response) => {
        const { config } = response;
        const headers = config.headers ?? {};
        wire.push({
            method: String(config.method).toUpperCase(),
            url: new URL(config.url),
            params: { ...(config.params ?? {}) },
            contentEncoding: headers['content-encoding'] ?? headers['Content-Encoding'],
            contentType: headers['Content-Type'] ?? headers['content-type'],
            authorization: headers.Authorization ?? headers.authorization,
            requestBody: config.data,
            status: response.status,
            responseHeaders: response.headers,
            responseBody: response.data,
        });
        return response;
    });
    return { client, wire };
}

/** Decodes a request body the way the server must: br or gzip when the client compressed it. */
export function decodeSentBody(entry) {
    let buf = entry.requestBody;
    if (typeof buf === 'string') buf = Buffer.from(buf);
    if (entry.contentEncoding === 'br') buf = zlib.brotliDecompressSync(buf);
    else if (entry.contentEncoding === 'gzip') buf = zlib.gunzipSync(buf);
    return JSON.parse(buf.toString('utf8'));
}

/** The platform's request id: first 15 chars of base64(SHA-256(uniqueKey)) without + / =. */
export function requestIdOf(uniqueKey) {
    return crypto.createHash('sha256').update(uniqueKey, 'utf8').digest('base64').replace(/[+/=]/g, '').slice(0, 15);
}

let counter = 0;
/** A queue name unique to this process and call (DNS-safe, under 63 chars). */
export function uniqueName(prefix) {
    counter += 1;
    return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** Pseudo-random printable text, so brotli cannot shrink a body to almost nothing. */
export function filler(bytes, seed) {
    return crypto.createHash('sha512').update(String(seed)).digest('base64').repeat(Math.ceil(bytes / 88)).slice(0, bytes);
}

export const QUEUE_ID_RE = /^[a-zA-Z0-9]{17}$/;

export function assertDate(value, what) {
    assert.ok(value instanceof Date, `${what} should be parsed into a Date by the client, got ${JSON.stringify(value)}`);
    assert.ok(!Number.isNaN(value.getTime()), `${what} is an invalid date`);
}

/** Asserts the full RequestQueue object the spec requires (section 2). */
export function assertQueueObject(queue, { id, name } = {}) {
    assert.ok(queue, 'queue object expected');
    assert.match(queue.id, QUEUE_ID_RE, 'queue id');
    if (id !== undefined) assert.equal(queue.id, id, 'queue id');
    if (name !== undefined) assert.equal(queue.name ?? null, name, 'queue name');
    assert.equal(typeof queue.userId, 'string', 'userId');
    assert.ok(queue.userId.length > 0, 'userId non-empty');
    for (const key of ['createdAt', 'modifiedAt', 'accessedAt']) assertDate(queue[key], key);
    for (const key of ['totalRequestCount', 'handledRequestCount', 'pendingRequestCount']) {
        assert.ok(Number.isInteger(queue[key]), `${key} should be an integer, got ${queue[key]}`);
    }
    assert.equal(typeof queue.hadMultipleClients, 'boolean', 'hadMultipleClients');
    assert.equal(typeof queue.consoleUrl, 'string', 'consoleUrl');
    assert.doesNotThrow(() => new URL(queue.consoleUrl), 'consoleUrl is a URL');
}

/** Reads the queue and checks its counters (and total = handled + pending). */
export async function assertCounters(queueClient, { total, handled, pending }) {
    const q = await queueClient.get();
    assert.ok(q, 'queue exists');
    assert.deepEqual(
        { total: q.totalRequestCount, handled: q.handledRequestCount, pending: q.pendingRequestCount },
        { total, handled, pending },
        'queue counters',
    );
    assert.equal(q.totalRequestCount, q.handledRequestCount + q.pendingRequestCount, 'total = handled + pending');
    return q;
}

/** Runs fn, expects an ApifyApiError, checks status (and type if given), returns the error. */
export async function expectApiError(fn, status, type) {
    let caught;
    try {
        await fn();
    } catch (err) {
        caught = err;
    }
    assert.ok(caught, `expected an ApifyApiError with status ${status}, but the call succeeded`);
    assert.ok(caught instanceof ApifyApiError, `expected an ApifyApiError, got ${caught?.stack ?? caught}`);
    assert.equal(caught.statusCode, status, `status of ${caught.httpMethod} ${caught.path}: ${caught.message}`);
    if (type !== undefined) assert.equal(caught.type, type, `error type (message: ${caught.message})`);
    assert.equal(typeof caught.message, 'string');
    assert.ok(caught.message.length > 0, 'error.message non-empty');
    assert.equal(caught.attempt, 1, 'a 4xx other than 429 must not be retried');
    return caught;
}

/** Asserts |date - expectedMs| <= slackMs. */
export function assertNear(date, expectedMs, slackMs, what) {
    assertDate(date, what);
    const diff = date.getTime() - expectedMs;
    assert.ok(Math.abs(diff) <= slackMs, `${what}: ${date.toISOString()} is ${diff} ms off ${new Date(expectedMs).toISOString()}`);
}

export const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Makes a queue with the given name and returns [queueObject, RequestQueueClient]. */
export async function newQueue(client, prefix, clientOptions) {
    const queue = await client.requestQueues().getOrCreate(uniqueName(prefix));
    assertQueueObject(queue);
    return [queue, client.requestQueue(queue.id, clientOptions)];
}
