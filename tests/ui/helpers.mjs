// Helpers of the dashboard's browser tests: start rq-fake on a free port, drive Debian's chromium
// with puppeteer-core (headless, no sandbox, no network but loopback, a fresh profile), call the
// API to put data into the fake, and keep screenshots as test output.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

import puppeteer from 'puppeteer-core';

export const TOKEN = 'ui-test-token';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function fakeBinary() {
    const bin = process.env.RQ_FAKE;
    if (!bin) throw new Error('RQ_FAKE is not set: run the tests through tests/ui/run-ui.sh');
    return bin;
}

/** Starts `rq-fake --port 0 ...args` and resolves with {url, stop()} once it listens. */
export async function startFake(args = []) {
    const proc = spawn(fakeBinary(), ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => { stderr += d; });
    const lines = readline.createInterface({ input: proc.stdout });
    const url = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('rq-fake printed no listening line within 15 s: ' + stderr)), 15000);
        proc.once('exit', (code) => reject(new Error('rq-fake exited with ' + code + ': ' + stderr)));
        lines.once('line', (line) => {
            clearTimeout(timer);
            const m = /^rq-fake listening on (http:\/\/\S+:\d+)\/?\s*$/.exec(line);
            if (m) resolve(m[1]);
            else reject(new Error('unexpected first line from rq-fake: ' + line));
        });
    });
    lines.on('line', () => {});  // keep draining stdout
    return {
        url,
        async stop() {
            if (proc.exitCode !== null) return;
            const exited = new Promise((r) => proc.once('exit', r));
            proc.kill('SIGTERM');
            const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(t);
        },
    };
}

/** Headless chromium with the flags this closed machine needs, on a fresh profile. */
export async function launchBrowser() {
    if (!fs.existsSync(CHROMIUM)) throw new Error(CHROMIUM + ' is missing: run scripts/install-deps (Debian package chromium)');
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rq-ui-chromium-'));
    const browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        headless: false,  // the flag is passed below, as the machine's notes give it
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
            '--hide-scrollbars', '--mute-audio', '--user-data-dir=' + profile, '--window-size=1400,900'],
        defaultViewport: { width: 1400, height: 900 },
        protocolTimeout: 60000,
    });
    const close = browser.close.bind(browser);
    browser.close = async () => {
        await close();
        fs.rmSync(profile, { recursive: true, force: true });
    };
    return browser;
}

/**
 * A new page in its own browser context that records every console error, uncaught exception,
 * failed request, 4xx/5xx answer and Content-Security-Policy violation. `contextOptions` go to
 * browser.createBrowserContext (a test that downloads passes its downloadBehavior).
 */
export async function openPage(browser, contextOptions = {}) {
    const context = await browser.createBrowserContext(contextOptions);
    const page = await context.newPage();
    const problems = [];
    page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push('console: ' + msg.text());
    });
    page.on('pageerror', (err) => problems.push('pageerror: ' + err.message));
    page.on('requestfailed', (req) => problems.push('requestfailed: ' + req.url() + ' ' + (req.failure() || {}).errorText));
    page.on('response', (res) => {
        if (res.status() >= 400) problems.push('http ' + res.status() + ': ' + res.url());
    });
    await page.evaluateOnNewDocument(() => {
        localStorage.setItem('rqFakePollMs', '200');  // live refreshes five times a second
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => {
            window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
        });
    });
    return { page, problems, close: () => context.close() };
}

/** Opens the dashboard at `hash` and waits until the first view has rendered. */
export async function openDashboard(page, baseUrl, hash = '') {
    const res = await page.goto(baseUrl + '/' + hash, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('body[data-ready="1"]', { timeout: 15000 });
    return res;
}

export function screenshotDir() {
    const dir = process.env.UI_SCREENSHOT_DIR || path.join(os.tmpdir(), 'rq-ui-screenshots');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

export async function screenshot(page, name) {
    const file = path.join(screenshotDir(), name + '.png');
    await page.screenshot({ path: file, fullPage: false });
    return file;
}

/**
 * Waits for `selector` and clicks it inside the page in one step. page.click finds the element,
 * then moves the mouse to it: a live refresh that re-renders the element in between leaves the
 * handle detached from the document.
 */
export async function press(page, selector, timeout = 10000) {
    await page.waitForSelector(selector, { timeout });
    await page.evaluate((sel) => {
        const e = document.querySelector(sel);
        if (!e) throw new Error('press: no element matches ' + sel);
        e.click();
    }, selector);
}

/** Waits until the page has completed `n` more live refreshes (each tick of its poll). */
export async function waitForRefreshes(page, n, timeout = 15000) {
    const now = await page.evaluate(() => Number(document.body.dataset.refreshes || 0));
    await page.waitForFunction((k) => Number(document.body.dataset.refreshes || 0) >= k, { timeout }, now + n);
}

/** The text of every element matching `selector`. */
export function texts(page, selector) {
    // One evaluate, not $$eval: that makes a handle per element.
    return page.evaluate((sel) => [...document.querySelectorAll(sel)].map((e) => e.textContent), selector);
}

/** Waits until the text of `selector` satisfies `predicate` (polls in the page's own refresh). */
export async function waitForText(page, selector, predicate, timeout = 10000) {
    const start = Date.now();
    let last;
    while (Date.now() - start < timeout) {
        last = await page.$eval(selector, (e) => e.textContent).catch(() => undefined);
        if (last !== undefined && predicate(last)) return last;
        await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('timed out waiting on ' + selector + '; last text: ' + JSON.stringify(last));
}

/** The Apify API of the fake, as a client would call it. */
export function apiOf(baseUrl, token = TOKEN) {
    async function call(method, p, body, headers = {}) {
        const res = await fetch(baseUrl + p, {
            method,
            headers: { Authorization: 'Bearer ' + token, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        const json = text ? JSON.parse(text) : null;
        if (!res.ok) throw new Error(method + ' ' + p + ' -> ' + res.status + ' ' + text);
        return json && json.data !== undefined ? json.data : json;
    }
    return {
        call,
        createQueue: (name) => call('POST', '/v2/request-queues?name=' + encodeURIComponent(name)),
        add: (q, request, query = '') => call('POST', `/v2/request-queues/${q}/requests${query}`, request),
        batch: (q, requests) => call('POST', `/v2/request-queues/${q}/requests/batch`, requests),
        headAndLock: (q, limit, clientKey, lockSecs = 300) =>
            call('POST', `/v2/request-queues/${q}/head/lock?limit=${limit}&lockSecs=${lockSecs}&clientKey=${clientKey}`),
        update: (q, request) => call('PUT', `/v2/request-queues/${q}/requests/${request.id}`, request),
        createStore: (name) => call('POST', '/v2/key-value-stores?name=' + encodeURIComponent(name)),
        /** Puts a record with its own content type; `body` is a string or a Buffer, sent as is. */
        async putRecord(store, key, body, contentType) {
            const res = await fetch(`${baseUrl}/v2/key-value-stores/${store}/records/${encodeURIComponent(key)}`, {
                method: 'PUT', headers: { Authorization: 'Bearer ' + token, 'Content-Type': contentType }, body,
            });
            if (res.status !== 201) throw new Error('PUT record ' + key + ' -> ' + res.status + ' ' + await res.text());
        },
        createDataset: (name) => call('POST', '/v2/datasets?name=' + encodeURIComponent(name)),
        pushItems: (dataset, items) => call('POST', `/v2/datasets/${dataset}/items`, items),
    };
}
