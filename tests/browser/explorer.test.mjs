// explorer.test.mjs - the block explorer in a real Chromium against a running node
//
// tests/browser/run.sh starts the node (and a bench in the background) and
// sets ZC_CLI, ZC_DATADIR, ZC_EXPLORER_URL and ZC_OUT. What the page shows is
// held to what the node itself says: the api fetched from here and the CLI.
// Every wait is a bound (until), never a timing; exits non-zero on failure.
import { launch, assertNoProblems, until } from './lib.mjs';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';

const CLI = process.env.ZC_CLI;
const DATADIR = process.env.ZC_DATADIR;
const URL_BASE = process.env.ZC_EXPLORER_URL;
if (!CLI || !DATADIR || !URL_BASE) {
    console.error ('explorer.test: needs ZC_CLI, ZC_DATADIR and ZC_EXPLORER_URL (tests/browser/run.sh sets them)');
    process.exit (2);
}
const base = URL_BASE.endsWith ('/') ? URL_BASE : `${URL_BASE}/`;

function cli (...args) {
    const out = execFileSync (CLI, ['--datadir', DATADIR, '--json', ...args], { encoding: 'utf8', timeout: 30000 });
    return JSON.parse (out);
}

async function apiJson (path) {
    const r = await fetch (base + path);
    assert.ok (r.ok, `GET /${path}: ${r.status}`);
    return r.json ();
}

// A block of the best chain with a transaction besides its coinbase (the
// bench's), the newest first; waits for the bench to have one confirmed
async function blockWithPayments () {
    return until (async () => {
        const tip = await apiJson ('api/tip');
        let hash = tip.hash;
        for (let i = 0; i < 300 && hash !== '0'.repeat (64); i++) {
            const block = await apiJson (`api/block/${hash}`);
            if (block.tx_count > 1)
                return block;
            hash = block.previousblockhash;
        }
        return null;
    }, 120000, 'a block with a payment in it (is the bench running?)');
}

const pageNumber = async (page, selector) => Number (await page.getAttribute (selector, 'data-value'));

async function search (page, text) {
    await page.fill ('#search', text);
    await page.press ('#search', 'Enter');
}

const { page, problems, shot, close } = await launch ();
let failed = false;
try {
    // the front page: the tip, the latest blocks, and the height grows by itself
    await page.goto (base);
    await page.waitForSelector ('#tip-height[data-value]');
    await page.waitForSelector ('#blocks tbody tr[data-hash]');
    const h0 = await pageNumber (page, '#tip-height');
    const api0 = await apiJson ('api/tip');
    assert.ok (Math.abs (api0.height - h0) <= 5, `front page height ${h0}, api ${api0.height}`);
    await until (async () => (await pageNumber (page, '#tip-height')) > h0, 60000,
                 `the front page's height to grow past ${h0} (polling /api/tip)`);
    // the newest row is the tip the page shows, and the rows go down by one
    await until (async () => {
        const shown = await pageNumber (page, '#tip-height');
        const heights = await page.$$eval ('#blocks tbody tr[data-hash]', (rows) => rows.map ((r) => Number (r.dataset.height)));
        return heights [0] === shown && heights.every ((h, i) => i === 0 || h === heights [i - 1] - 1);
    }, 30000, 'the latest blocks table to start at the tip shown');
    const rowHash = await page.getAttribute ('#blocks tbody tr[data-hash]', 'data-hash');
    const rowHeight = Number (await page.getAttribute ('#blocks tbody tr[data-hash]', 'data-height'));
    assert.equal ((await (await fetch (`${base}api/block-height/${rowHeight}`)).text ()).trim (), rowHash);
    await shot ('explorer-front');
    assertNoProblems (problems);

    // a payment the bench sent, searched by txid: its outputs, fee and confirmations
    const block = await blockWithPayments ();
    const txid = block.txids [1];
    const tx = await apiJson (`api/tx/${txid}`);
    assert.ok (tx.status.confirmed && !tx.coinbase);
    let inputs = 0;
    for (const input of tx.vin)
        inputs += (await apiJson (`api/tx/${input.txid}`)).vout [input.vout].value;
    const fee = inputs - tx.vout.reduce ((s, o) => s + o.value, 0);
    await search (page, txid);
    await page.waitForFunction ((id) => location.hash === `#/tx/${id}`, txid);
    await page.waitForSelector ('#tx-outputs tbody tr[data-value]');
    const values = await page.$$eval ('#tx-outputs tbody tr[data-value]', (rows) => rows.map ((r) => Number (r.dataset.value)));
    assert.deepEqual (values, tx.vout.map ((o) => o.value), 'output values as the api gives them');
    const addresses = await page.$$eval ('#tx-outputs tbody tr a[href^="#/address/"]', (links) => links.map ((a) => a.textContent));
    assert.deepEqual (addresses, tx.vout.map ((o) => o.address));
    assert.ok ((await pageNumber (page, '#tx-confirmations')) >= 1, 'a confirmed transaction has confirmations');
    await until (async () => (await page.textContent ('#tx-fee .amount')) !== null, 30000, 'the fee');
    assert.equal (await page.getAttribute ('#tx-fee .amount', 'title'), `${fee} base units`,
                  'the fee is the inputs\' previous outputs less the outputs');
    await shot ('explorer-tx');
    assertNoProblems (problems);

    // its block, by the link on the transaction page: every transaction listed
    await page.click (`#tx-status a[href="#/block/${block.hash}"]`);
    await page.waitForSelector ('#block-txs tbody tr[data-txid]');
    for (let i = 0; i < 1000 && await page.isVisible ('#block-txs-more'); i++)
        await page.click ('#block-txs-more');
    const txids = await page.$$eval ('#block-txs tbody tr[data-txid]', (rows) => rows.map ((r) => r.dataset.txid));
    assert.equal (txids.length, block.tx_count, 'a row for each of the block\'s transactions');
    assert.deepEqual (txids, block.txids, 'in the block\'s order');
    assert.equal (await page.textContent ('#block-height'), block.height.toLocaleString ('en-US'));
    assert.ok ((await pageNumber (page, '#block-confirmations')) >= 1);
    await shot ('explorer-block');
    assertNoProblems (problems);

    // the miner's address (the wallet's first), searched: the balance the CLI
    // reports (a block a second moves it: the page's figure must be the
    // CLI's just before or just after it)
    const { address } = cli ('wallet', 'address');
    await search (page, address);
    await page.waitForFunction ((a) => location.hash === `#/address/${a}`, address);
    await page.waitForSelector ('#address-balance [data-value]');
    await until (async () => {
        const before = cli ('balance', address).balance;
        const shown = await pageNumber (page, '#address-balance [data-value]');
        const after = cli ('balance', address).balance;
        return shown === before || shown === after;
    }, 60000, 'the address page\'s balance to be the CLI\'s');
    const utxoRows = await page.$$eval ('#address-utxos tbody tr[data-value]', (rows) => rows.length);
    assert.ok (utxoRows >= 1, 'the miner\'s address has unspent outputs listed');
    await shot ('explorer-address');
    assertNoProblems (problems);

    // a height goes to its block; nonsense says not found and stays
    const one = (await (await fetch (`${base}api/block-height/1`)).text ()).trim ();
    await search (page, '1');
    await page.waitForFunction ((h) => location.hash === `#/block/${h}`, one);
    await page.waitForSelector ('#block-hash');
    assert.equal (await page.textContent ('#block-hash'), one);
    await search (page, 'certainly-not-a-hash');
    await until (async () => /^Not found/.test (await page.textContent ('#search-message')), 10000, 'not found');
    assert.equal (await page.evaluate (() => location.hash), `#/block/${one}`);

    // the mempool page answers with the node's figures
    await page.goto (`${base}#/mempool`);
    await page.waitForSelector ('#mempool-count');
    assert.match (await page.textContent ('#mempool-count'), /^[0-9,]+$/);
    assertNoProblems (problems);
    console.log ('explorer.test: ok');
} catch (e) {
    failed = true;
    console.error (`explorer.test: FAILED: ${e.stack || e.message}`);
    try { await shot ('explorer-failure'); } catch (_) { /* the page may be gone */ }
} finally {
    await close ();
}
process.exit (failed ? 1 : 0);
