// lib.mjs - a headless Chromium for zchain's browser tests
//
// launch () starts Debian's /usr/bin/chromium (never a downloaded browser)
// with a fresh profile and no network of its own, and returns
// { browser, context, page, problems, shot, close }:
//   problems: every console error, page error, failed request and request
//             to a host other than 127.0.0.1/localhost, as text lines;
//             a test ends with assertNoProblems (problems)
//   shot (name): a full-page screenshot into $ZC_OUT/name.png
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LOCAL = new Set (['127.0.0.1', 'localhost', '[::1]']);

export async function launch () {
    const profile = fs.mkdtempSync (path.join (os.tmpdir (), 'zc-chromium-'));
    const context = await chromium.launchPersistentContext (profile, {
        executablePath: process.env.ZC_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        viewport: { width: 1280, height: 900 },
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
               '--disable-component-update', '--no-first-run', '--disable-sync',
               '--disable-default-apps', '--disable-extensions'],
    });
    const page = context.pages () [0] || await context.newPage ();
    const problems = [];
    page.on ('console', (m) => { if (m.type () === 'error') problems.push (`console: ${m.text ()}`); });
    page.on ('pageerror', (e) => problems.push (`page error: ${e.message}`));
    page.on ('requestfailed', (r) => problems.push (`failed: ${r.url ()} ${r.failure ()?.errorText}`));
    context.on ('request', (r) => {
        const url = new URL (r.url ());
        if ((url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:')
            && !LOCAL.has (url.hostname))
            problems.push (`off the machine: ${r.url ()}`);
    });
    const out = process.env.ZC_OUT || os.tmpdir ();
    fs.mkdirSync (out, { recursive: true });
    const shot = async (name) => {
        const file = path.join (out, `${name}.png`);
        await page.screenshot ({ path: file, fullPage: true });
        return file;
    };
    const close = async () => {
        await context.close ();
        fs.rmSync (profile, { recursive: true, force: true });
    };
    return { context, page, problems, shot, close };
}

export function assertNoProblems (problems) {
    if (problems.length)
        throw new Error (`the page had problems:\n  ${problems.join ('\n  ')}`);
}

// Poll fn () until it returns a truthy value or timeoutMs passes (a bound,
// not a timing: the test fails only when the page never gets there)
export async function until (fn, timeoutMs, what) {
    const end = Date.now () + timeoutMs;
    for (;;) {
        const v = await fn ();
        if (v)
            return v;
        if (Date.now () > end)
            throw new Error (`gave up waiting for ${what}`);
        await new Promise ((r) => setTimeout (r, 250));
    }
}
