// explorer.js - zchain's block explorer: one page over the gateway's /api
//
// Hash routes (#/block/HASH, #/tx/TXID, #/address/ADDR, #/mempool) so the
// gateway serves only this directory's few files. Everything shown comes
// from the node's JSON api on the same origin; the page is built with DOM
// calls and textContent only (no HTML from data), and under the gateway's
// Content-Security-Policy it can load nothing from anywhere else.
//
// Live: /api/tip is polled every 2 s (docs/architecture.md says why polling
// and not a held event stream); a new tip refreshes the page in view.
//
// The api grows (newer nodes answer /api/blocks, /api/tx/:txid/outspend/:vout,
// /api/address/:addr/txs, ...). A browser logs every 404 to its console, so
// the page does not probe for them one by one: those endpoints arrive with
// /api/mempool's fee_histogram, and the page asks for them only when that
// field is there; otherwise it shows what the older endpoints give and says
// what is not available.
'use strict';

const POLL_MS = 2000;
const BLOCKS_SHOWN = 10;                // on the front page
const BLOCK_TXS_PAGE = 250;             // rows of a block's transactions at a time
const TX_ROWS_MAX = 500;                // inputs or outputs shown of one transaction
const LOOKUPS_MAX = 50;                 // previous outputs / outspends asked per page
const UTXOS_SHOWN = 50;
const CACHE_MAX = 500;                  // blocks and transactions kept by id
const FETCH_PARALLEL = 4;               // the gateway serves with 4 threads
const COIN = 100000000;
const HRP = { regtest: 'zcrt', devnet: 'zc' };
const ZERO_HASH = '0'.repeat (64);

const state = {
    tip: null,                          // the last /api/tip
    tipError: false,
    newApi: null,                       // null: not known yet
    view: 0,                            // bumped by each route: stale work stops writing
    onTip: null,                        // the page in view's refresh on a new tip
    blocks: new Map (),                 // hash -> block (bounded, oldest first out)
    txs: new Map (),                    // txid -> confirmed transaction (bounded)
};

// ---------------------------------------------------------------- helpers

// An element: el ('td', { class: 'num', 'data-value': 5 }, 'text', child, ...)
function el (tag, attrs, ...children) {
    const node = document.createElement (tag);
    for (const [k, v] of Object.entries (attrs || {}))
        if (v !== undefined && v !== null && v !== false)
            node.setAttribute (k, v === true ? '' : String (v));
    for (const c of children.flat ())
        if (c !== undefined && c !== null && c !== false)
            node.append (c instanceof Node ? c : String (c));
    return node;
}

function svg (tag, attrs, ...children) {
    const node = document.createElementNS ('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries (attrs || {}))
        node.setAttribute (k, String (v));
    for (const c of children)
        node.append (c instanceof Node ? c : String (c));
    return node;
}

function link (href, text, cls) {
    return el ('a', { href, class: cls }, text);
}

const isHash = (s) => typeof s === 'string' && /^[0-9a-f]{64}$/.test (s);

// Coins as the CLI prints them: no trailing zeros ("12.5", "0.00000001")
function coins (units) {
    if (typeof units !== 'number' || !Number.isFinite (units))
        return '?';
    const negative = units < 0;
    const abs = Math.abs (units);
    const whole = Math.floor (abs / COIN).toLocaleString ('en-US');
    const frac = String (abs % COIN).padStart (8, '0').replace (/0+$/, '');
    return (negative ? '-' : '') + whole + (frac ? '.' + frac : '');
}

function amount (units) {
    return el ('span', { class: 'amount', title: `${units} base units` }, coins (units), ' ',
               el ('span', { class: 'unit' }, 'coins'));
}

function bytes (n) {
    if (n < 10000)
        return `${n.toLocaleString ('en-US')} B`;
    if (n < 10000000)
        return `${(n / 1000).toFixed (1)} kB`;
    return `${(n / 1000000).toFixed (1)} MB`;
}

const count = (n) => Number (n).toLocaleString ('en-US');

function isoTime (t) {
    return new Date (t * 1000).toISOString ().replace ('T', ' ').replace (/\.\d+Z$/, ' UTC');
}

function ago (t) {
    const s = Math.round (Date.now () / 1000 - t);
    if (s < 0)
        return 'in the future';
    if (s < 90)
        return `${s} s ago`;
    if (s < 5400)
        return `${Math.round (s / 60)} min ago`;
    if (s < 129600)
        return `${Math.round (s / 3600)} h ago`;
    return `${Math.round (s / 86400)} days ago`;
}

function timeCell (t) {
    return el ('time', { datetime: new Date (t * 1000).toISOString (), title: isoTime (t) }, ago (t));
}

// A hash in a table: the start and end, the whole in the title and the link
function shortHash (h, head = 14, tail = 8) {
    return h.length > head + tail + 2 ? `${h.slice (0, head)}…${h.slice (-tail)}` : h;
}

function remember (map, key, value) {
    map.set (key, value);
    while (map.size > CACHE_MAX)
        map.delete (map.keys ().next ().value);
}

// One api call: { ok, status, data, detail } and never a throw. kind:
// 'json' or 'text'. A failed connection is status 0.
async function api (path, kind = 'json') {
    let response;
    try {
        response = await fetch (path, { headers: { Accept: kind === 'json' ? 'application/json' : 'text/plain' },
                                        cache: 'no-store' });
    } catch (e) {
        return { ok: false, status: 0, detail: 'the node is not answering' };
    }
    let text = '';
    try {
        text = await response.text ();
    } catch (e) {
        return { ok: false, status: 0, detail: 'the answer was cut off' };
    }
    if (!response.ok) {
        let detail = `HTTP ${response.status}`;
        try {
            const error = JSON.parse (text);
            detail = error.detail || error.error || detail;
        } catch (e) { /* not JSON: keep the status */ }
        return { ok: false, status: response.status, detail };
    }
    if (kind === 'text')
        return { ok: true, status: response.status, data: text.trim () };
    try {
        return { ok: true, status: response.status, data: JSON.parse (text) };
    } catch (e) {
        return { ok: false, status: response.status, detail: 'the answer was not JSON' };
    }
}

// fn over items, at most limit at once (the server has a few threads and
// bounds connections per client)
async function each (items, limit, fn) {
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            await fn (items [i], i);
        }
    };
    await Promise.all (Array.from ({ length: Math.min (limit, items.length) }, worker));
}

// Does this node serve the newer endpoints? Asked once (see the top)
async function hasNewApi () {
    if (state.newApi === null) {
        const r = await api ('/api/mempool');
        if (r.ok)
            state.newApi = Array.isArray (r.data.fee_histogram);
    }
    return state.newApi === true;
}

async function getBlock (hash) {
    if (state.blocks.has (hash))
        return { ok: true, data: state.blocks.get (hash) };
    const r = await api (`/api/block/${hash}`);
    if (r.ok && r.data.in_best_chain !== undefined)
        remember (state.blocks, hash, r.data);
    return r;
}

// A transaction; a confirmed one is kept (its outputs never change)
async function getTx (txid) {
    if (state.txs.has (txid))
        return { ok: true, data: state.txs.get (txid) };
    const r = await api (`/api/tx/${txid}`);
    if (r.ok && r.data.status && r.data.status.confirmed)
        remember (state.txs, txid, r.data);
    return r;
}

// Confirmations of a block at height, from the tip we know (live)
// Confirmations of a block at height: from the tip this page last polled,
// or the api's count if that is higher (the answer can be newer than the
// page's tip, which is polled every 2 s)
function confirmationsAt (height, fromApi) {
    const live = state.tip ? Math.max (0, state.tip.height - height + 1) : 0;
    return Math.max (live, fromApi || 0);
}

// ---------------------------------------------------------------- page frame

function main () {
    return document.getElementById ('main');
}

// A new page: clear main, forget the old page's refresh; returns a token
// that stays current until the next route
function begin (title) {
    state.view++;
    state.onTip = null;
    document.title = title ? `${title} · zchain explorer` : 'zchain explorer';
    main ().replaceChildren ();
    return state.view;
}

const current = (view) => view === state.view;

function section (title, ...children) {
    return el ('section', { class: 'card' }, el ('h2', {}, title), ...children);
}

function fields (rows) {
    const dl = el ('dl', { class: 'fields' });
    for (const [name, value, id] of rows)
        if (value !== undefined)
            dl.append (el ('dt', {}, name), el ('dd', { id }, value));
    return dl;
}

function table (id, headings, cls) {
    const t = el ('table', { id, class: cls || 'list' },
                  el ('thead', {}, el ('tr', {}, headings.map ((h) =>
                      el ('th', { class: h.startsWith ('#') ? 'num' : undefined }, h.replace (/^#/, '')))),),
                  el ('tbody'));
    return t;
}

function notice (text, cls) {
    return el ('p', { class: cls || 'muted' }, text);
}

function showError (view, title, detail) {
    if (!current (view))
        return;
    main ().replaceChildren (el ('section', { class: 'card' }, el ('h1', {}, title),
                                 el ('p', { class: 'error', id: 'not-found' }, detail)));
}

// ---------------------------------------------------------------- the tip

function renderNavTip () {
    const tip = state.tip;
    const nav = document.getElementById ('nav-tip');
    if (tip) {
        nav.replaceChildren ('height ', link (`#/block/${tip.hash}`, count (tip.height)));
        document.getElementById ('network').textContent = tip.network || '';
    }
    const banner = document.getElementById ('banner');
    banner.hidden = !state.tipError;
    banner.textContent = state.tipError ? 'The node is not answering; trying again every 2 s.' : '';
}

async function pollTip () {
    // a tab nobody looks at asks for nothing; it catches up when shown
    if (document.hidden) {
        setTimeout (pollTip, POLL_MS);
        return;
    }
    const r = await api ('/api/tip');
    const before = state.tip;
    state.tipError = !r.ok;
    if (r.ok)
        state.tip = r.data;
    renderNavTip ();
    const changed = r.ok && (!before || before.hash !== r.data.hash
                             || before.mempool_txs !== r.data.mempool_txs);
    if (changed && state.onTip) {
        try {
            await state.onTip (before);
        } catch (e) {
            console.warn ('refresh failed', e);
        }
    }
    setTimeout (pollTip, POLL_MS);
}

// ---------------------------------------------------------------- front page

// The newest blocks from the tip, newest first: /api/blocks when the node
// has it, else walking back by previousblockhash (known blocks cost nothing)
async function latestBlocks (tip) {
    if (await hasNewApi ()) {
        const r = await api ('/api/blocks');
        if (r.ok && Array.isArray (r.data))
            return r.data.slice (0, BLOCKS_SHOWN).map ((b) => ({ ...b, hash: b.id || b.hash }));
    }
    const out = [];
    let hash = tip.hash;
    while (out.length < BLOCKS_SHOWN && isHash (hash) && hash !== ZERO_HASH) {
        const r = await getBlock (hash);
        if (!r.ok)
            break;
        out.push (r.data);
        hash = r.data.previousblockhash;
    }
    return out;
}

function blockRow (b) {
    return el ('tr', { 'data-hash': b.hash, 'data-height': b.height },
               el ('td', { class: 'num' }, link (`#/block/${b.hash}`, count (b.height))),
               el ('td', { class: 'hash' }, link (`#/block/${b.hash}`, shortHash (b.hash))),
               el ('td', {}, timeCell (b.timestamp)),
               el ('td', { class: 'num' }, count (b.tx_count)),
               el ('td', { class: 'num' }, bytes (b.size)));
}

async function renderFront () {
    const view = begin ('');
    const summary = el ('div', { class: 'stats' });
    const blocks = table ('blocks', ['#Height', 'Hash', 'Time', '#Transactions', '#Size']);
    const recent = el ('div');
    main ().append (section ('Best block', summary), section ('Latest blocks', blocks), recent);

    const stat = (name, value, id) =>
        el ('div', { class: 'stat' }, el ('div', { class: 'stat-name' }, name),
            el ('div', { class: 'stat-value', id }, value));

    const refresh = async () => {
        const tip = state.tip;
        if (!tip)
            return;
        summary.replaceChildren (
            stat ('Height', count (tip.height), 'tip-height'),
            stat ('Hash', link (`#/block/${tip.hash}`, shortHash (tip.hash, 8, 6), 'hash'), 'tip-hash'),
            stat ('Time', timeCell (tip.time)),
            stat ('Mempool', link ('#/mempool', `${count (tip.mempool_txs || 0)} txs, ${bytes (tip.mempool_bytes || 0)}`)),
            stat ('Unspent outputs', count (tip.utxo_count)),
            stat ('Coins issued', amount (tip.total_amount)));
        document.getElementById ('tip-height').setAttribute ('data-value', tip.height);
        const list = await latestBlocks (tip);
        if (!current (view))
            return;
        blocks.tBodies [0].replaceChildren (...list.map (blockRow));
        if (await hasNewApi ()) {
            const r = await api ('/api/mempool/recent');
            if (!current (view) || !r.ok || !Array.isArray (r.data))
                return;
            const t = table ('recent-txs', ['Transaction', '#Value', '#Fee', '#Size']);
            t.tBodies [0].append (...r.data.map ((tx) => el ('tr', { 'data-txid': tx.txid },
                el ('td', { class: 'hash' }, link (`#/tx/${tx.txid}`, shortHash (tx.txid))),
                el ('td', { class: 'num' }, amount (tx.value)),
                el ('td', { class: 'num' }, amount (tx.fee)),
                el ('td', { class: 'num' }, bytes (tx.size)))));
            recent.replaceChildren (section ('Just arrived in the mempool', t));
        }
    };
    state.onTip = refresh;
    if (state.tip)
        await refresh ();
    else
        summary.append (notice ('Waiting for the node…'));
}

// ---------------------------------------------------------------- block page

async function renderBlock (hash) {
    const view = begin (`Block ${shortHash (hash)}`);
    const r = await getBlock (hash);
    if (!current (view))
        return;
    if (!r.ok)
        return showError (view, 'Block not found', r.status === 404
            ? `No block ${hash} on this node.` : `The node could not answer: ${r.detail}.`);
    const b = r.data;
    const confirmations = el ('span', { id: 'block-confirmations' });
    const next = el ('span', {}, '—');
    const setConfirmations = () => {
        if (!b.in_best_chain) {
            confirmations.textContent = 'none: not in the best chain';
            confirmations.setAttribute ('data-value', 0);
            return;
        }
        const n = confirmationsAt (b.height, b.confirmations);
        confirmations.textContent = count (n);
        confirmations.setAttribute ('data-value', n);
    };
    setConfirmations ();
    main ().append (section (`Block ${count (b.height)}`, fields ([
        ['Hash', el ('span', { class: 'hash full' }, b.hash), 'block-hash'],
        ['Height', count (b.height), 'block-height'],
        ['Confirmations', confirmations],
        ['Time', el ('span', {}, isoTime (b.timestamp), ' (', timeCell (b.timestamp), ')')],
        ['Transactions', count (b.tx_count), 'block-tx-count'],
        ['Size', bytes (b.size)],
        ['Previous block', b.previousblockhash === ZERO_HASH ? 'none (the genesis block)'
            : link (`#/block/${b.previousblockhash}`, b.previousblockhash, 'hash full')],
        ['Next block', next],
        ['Merkle root', el ('span', { class: 'hash full' }, b.merkle_root)],
        ['Bits', `0x${Number (b.bits).toString (16).padStart (8, '0')}`],
        ['Nonce', count (b.nonce)],
        ['Version', b.version],
    ])));

    let nextFound = false;
    const findNext = async () => {
        // only when a block above is known to exist: no request that 404s
        if (nextFound || !b.in_best_chain || !state.tip || state.tip.height <= b.height)
            return;
        const n = await api (`/api/block-height/${b.height + 1}`, 'text');
        nextFound = current (view) && n.ok && isHash (n.data);
        if (nextFound)
            next.replaceChildren (link (`#/block/${n.data}`, n.data, 'hash full'));
    };

    const txids = Array.isArray (b.txids) ? b.txids : [];
    const txs = table ('block-txs', ['#', 'Transaction', '']);
    const more = el ('button', { id: 'block-txs-more', type: 'button', class: 'more' });
    let shown = 0;
    const showMore = () => {
        const upto = Math.min (txids.length, shown + BLOCK_TXS_PAGE);
        const rows = [];
        for (; shown < upto; shown++)
            rows.push (el ('tr', { 'data-txid': txids [shown] },
                           el ('td', { class: 'num' }, shown),
                           el ('td', { class: 'hash' }, link (`#/tx/${txids [shown]}`, txids [shown])),
                           el ('td', { class: 'muted' }, shown === 0 ? 'coinbase' : '')));
        txs.tBodies [0].append (...rows);
        more.hidden = shown >= txids.length;
        more.textContent = `Show ${Math.min (BLOCK_TXS_PAGE, txids.length - shown)} more of ${count (txids.length - shown)}`;
    };
    more.addEventListener ('click', showMore);
    showMore ();
    const reward = el ('p', { class: 'muted' });
    main ().append (section (`Transactions (${count (txids.length)})`, reward, txs, more));
    state.onTip = async () => { setConfirmations (); await findNext (); };
    await findNext ();
    if (txids.length) {
        const cb = await getTx (txids [0]);
        if (current (view) && cb.ok)
            reward.replaceChildren ('The coinbase pays ',
                amount (cb.data.vout.reduce ((s, o) => s + o.value, 0)),
                ' (the subsidy and the fees).');
    }
}

// ---------------------------------------------------------------- transaction page

function statusText (tx) {
    const s = tx.status || {};
    if (!s.confirmed)
        return el ('span', { class: 'pending' }, 'unconfirmed, in the mempool');
    return el ('span', {}, 'confirmed in block ', link (`#/block/${s.block_hash}`, count (s.block_height)));
}

async function renderTx (txid) {
    const view = begin (`Transaction ${shortHash (txid)}`);
    let r = await api (`/api/tx/${txid}`);
    if (!current (view))
        return;
    if (!r.ok)
        return showError (view, 'Transaction not found', r.status === 404
            ? `No transaction ${txid} in this node's mempool or chain.`
            : `The node could not answer: ${r.detail}.`);
    let tx = r.data;
    const newApi = await hasNewApi ();
    if (!current (view))
        return;

    const confirmations = el ('span', { id: 'tx-confirmations' });
    const status = el ('span', { id: 'tx-status' });
    const fee = el ('span', { id: 'tx-fee' }, '…');
    const feeRate = el ('span', { id: 'tx-fee-rate' }, '…');
    const setStatus = () => {
        const s = tx.status || {};
        const n = s.confirmed ? confirmationsAt (s.block_height, s.confirmations) : 0;
        confirmations.textContent = s.confirmed ? count (n) : 'none yet (unconfirmed)';
        confirmations.setAttribute ('data-value', n);
        status.replaceChildren (statusText (tx));
    };
    setStatus ();
    main ().append (section (tx.coinbase ? 'Coinbase transaction' : 'Transaction', fields ([
        ['Txid', el ('span', { class: 'hash full' }, tx.txid), 'tx-txid'],
        ['Status', status],
        ['Confirmations', confirmations],
        ['Fee', tx.coinbase ? 'none (a coinbase)' : fee],
        ['Fee rate', tx.coinbase ? undefined : feeRate],
        ['Size', bytes (tx.size), 'tx-size'],
        ['Version', tx.version],
        ['Wtxid', el ('span', { class: 'hash full' }, tx.wtxid)],
    ])));

    // inputs: the output each spends, from prevout or else its transaction
    const vin = (tx.vin || []).slice (0, TX_ROWS_MAX);
    const vout = (tx.vout || []).slice (0, TX_ROWS_MAX);
    const inputs = table ('tx-inputs', ['#', 'Spends', 'From', '#Value']);
    const inputCells = vin.map ((input, i) => {
        const from = el ('td', { class: 'address' }, tx.coinbase ? '' : '…');
        const value = el ('td', { class: 'num' }, tx.coinbase ? '' : '…');
        const spends = tx.coinbase
            ? el ('td', {}, 'new coins (coinbase)')
            : el ('td', { class: 'hash' }, link (`#/tx/${input.txid}`, `${shortHash (input.txid)}:${input.vout}`));
        inputs.tBodies [0].append (el ('tr', { 'data-index': i }, el ('td', { class: 'num' }, i), spends, from, value));
        return { from, value };
    });
    const outputs = table ('tx-outputs', ['#', 'To', '#Value', 'Spent']);
    const spentCells = vout.map ((output, i) => {
        const spent = el ('td', { class: 'muted' }, newApi ? '…' : 'not available');
        outputs.tBodies [0].append (el ('tr', { 'data-index': i, 'data-value': output.value },
            el ('td', { class: 'num' }, i),
            el ('td', { class: 'address' }, output.address
                ? link (`#/address/${output.address}`, output.address) : 'not an address'),
            el ('td', { class: 'num' }, amount (output.value)),
            spent));
        return spent;
    });
    const outTotal = (tx.vout || []).reduce ((s, o) => s + o.value, 0);
    const cut = (list, shown) => list.length > shown.length
        ? notice (`Showing ${shown.length} of ${count (list.length)}.`) : null;
    main ().append (el ('div', { class: 'columns' },
        section (`Inputs (${count ((tx.vin || []).length)})`, inputs, cut (tx.vin || [], vin)),
        section (`Outputs (${count ((tx.vout || []).length)}), ${coins (outTotal)} coins`, outputs,
                 cut (tx.vout || [], vout))));

    const showFee = (feeUnits, rate) => {
        fee.replaceChildren (amount (feeUnits));
        feeRate.textContent = `${count (rate)} per 1,000 bytes`;
    };
    const knownFee = () => {
        if (typeof tx.fee === 'number')
            showFee (tx.fee, typeof tx.fee_rate === 'number' ? tx.fee_rate
                                                             : Math.floor (tx.fee * 1000 / tx.size));
        return typeof tx.fee === 'number';
    };
    if (!tx.coinbase) {
        const hadFee = knownFee ();
        let inTotal = 0, known = 0;
        await each (vin.slice (0, LOOKUPS_MAX), FETCH_PARALLEL, async (input, i) => {
            let prev = input.prevout;
            if (!prev) {
                const p = await getTx (input.txid);
                prev = p.ok && p.data.vout [input.vout] ? p.data.vout [input.vout] : null;
            }
            if (!current (view))
                return;
            const cells = inputCells [i];
            if (!prev) {
                cells.from.textContent = 'not available';
                cells.value.textContent = '';
                return;
            }
            cells.from.replaceChildren (prev.address ? link (`#/address/${prev.address}`, prev.address) : '—');
            cells.value.replaceChildren (amount (prev.value));
            inTotal += prev.value;
            known++;
        });
        if (!current (view))
            return;
        for (let i = known; i < inputCells.length; i++)
            if (inputCells [i].value.textContent === '…')
                inputCells [i].value.textContent = '';
        if (!hadFee) {
            if (known === tx.vin.length)
                showFee (inTotal - outTotal, Math.floor ((inTotal - outTotal) * 1000 / tx.size));
            else {
                fee.textContent = 'not available';
                feeRate.textContent = 'not available';
            }
        }
    }

    const showSpends = async () => {
        if (!newApi)
            return;
        await each (vout.slice (0, LOOKUPS_MAX), FETCH_PARALLEL, async (output, i) => {
            const s = await api (`/api/tx/${tx.txid}/outspend/${i}`);
            if (!current (view))
                return;
            const cell = spentCells [i];
            if (!s.ok)
                cell.textContent = 'not available';
            else if (!s.data.spent)
                cell.textContent = 'unspent';
            else
                cell.replaceChildren (s.data.status && s.data.status.confirmed ? 'by ' : 'by (unconfirmed) ',
                                      link (`#/tx/${s.data.txid}`, `${shortHash (s.data.txid)}:${s.data.vin}`));
        });
        for (let i = LOOKUPS_MAX; i < spentCells.length; i++)
            spentCells [i].textContent = '';
    };
    await showSpends ();

    // live: confirmations grow; an unconfirmed one is asked again until a block takes it
    state.onTip = async () => {
        if (!tx.status.confirmed) {
            const again = await api (`/api/tx/${txid}`);
            if (!current (view))
                return;
            if (again.ok)
                tx = again.data;
            else if (again.status === 404)
                status.replaceChildren (el ('span', { class: 'error' }, 'no longer in the mempool nor the chain'));
        }
        setStatus ();
        await showSpends ();
    };
}

// ---------------------------------------------------------------- address page

// What a transaction did to address: outputs to it less the outputs it spent
function netFor (tx, address) {
    let net = 0;
    for (const o of tx.vout || [])
        if (o.address === address)
            net += o.value;
    for (const i of tx.vin || [])
        if (i.prevout && i.prevout.address === address)
            net -= i.prevout.value;
    return net;
}

async function renderAddress (address) {
    const view = begin (`Address ${address}`);
    const r = await api (`/api/address/${encodeURIComponent (address)}`);
    if (!current (view))
        return;
    if (!r.ok)
        return showError (view, 'Not an address here', `${address}: ${r.detail}.`);
    const summary = el ('div');
    const utxos = el ('div');
    const history = el ('div');
    main ().append (section ('Address', el ('p', { class: 'hash full', id: 'address' }, address), summary),
                    section ('Unspent outputs', utxos), section ('Transactions', history));
    let a = r.data;
    const showSummary = () => summary.replaceChildren (fields ([
        ['Balance', el ('span', { 'data-value': a.balance }, amount (a.balance)), 'address-balance'],
        ['Spendable', amount (a.spendable), 'address-spendable'],
        ['Immature', el ('span', {}, amount (a.immature), ' (coinbase outputs younger than maturity)')],
        ['Unspent outputs', count (a.utxo_count), 'address-utxo-count'],
        ['As of height', count (a.height)],
    ]));

    const showUtxos = async () => {
        const u = await api (`/api/address/${encodeURIComponent (address)}/utxo`);
        if (!current (view))
            return;
        if (!u.ok || !Array.isArray (u.data))
            return utxos.replaceChildren (notice (`Not available: ${u.detail}.`));
        const list = u.data.slice ().sort ((x, y) => (y.status.block_height || 0) - (x.status.block_height || 0));
        const t = table ('address-utxos', ['Output', '#Height', '#Value', '']);
        t.tBodies [0].append (...list.slice (0, UTXOS_SHOWN).map ((o) =>
            el ('tr', { 'data-txid': o.txid, 'data-vout': o.vout, 'data-value': o.value },
                el ('td', { class: 'hash' }, link (`#/tx/${o.txid}`, `${shortHash (o.txid)}:${o.vout}`)),
                el ('td', { class: 'num' }, o.status.block_height !== undefined
                    ? link (`#/block-height/${o.status.block_height}`, count (o.status.block_height)) : 'unconfirmed'),
                el ('td', { class: 'num' }, amount (o.value)),
                el ('td', { class: 'muted' }, o.coinbase ? 'coinbase' : ''))));
        utxos.replaceChildren (list.length ? t : notice ('None.'),
            list.length > UTXOS_SHOWN ? notice (`The newest ${UTXOS_SHOWN} of ${count (list.length)}.`) : '',
            a.utxo_count > list.length ? notice (`The node lists ${count (list.length)} of ${count (a.utxo_count)}.`) : '');
    };

    // history: /txs (mempool first, then the newest confirmed), then pages of
    // 25 older ones after the last txid shown
    const showHistory = async () => {
        if (!(await hasNewApi ()))
            return history.replaceChildren (notice ('Not available: this node does not list an address\'s transactions (/api/address/ADDR/txs).'));
        const h = await api (`/api/address/${encodeURIComponent (address)}/txs`);
        if (!current (view))
            return;
        if (!h.ok || !Array.isArray (h.data))
            return history.replaceChildren (notice (`Not available: ${h.detail}.`));
        const t = table ('address-txs', ['Transaction', 'Status', '#Change']);
        const more = el ('button', { type: 'button', class: 'more', id: 'address-txs-more' }, 'Older transactions');
        let last = null;
        const add = (list) => {
            t.tBodies [0].append (...list.map ((tx) => el ('tr', { 'data-txid': tx.txid },
                el ('td', { class: 'hash' }, link (`#/tx/${tx.txid}`, shortHash (tx.txid))),
                el ('td', {}, statusText (tx)),
                el ('td', { class: 'num' }, amount (netFor (tx, address))))));
            const confirmed = list.filter ((tx) => tx.status && tx.status.confirmed);
            if (confirmed.length)
                last = confirmed [confirmed.length - 1].txid;
            more.hidden = confirmed.length < 25;
        };
        more.addEventListener ('click', async () => {
            more.disabled = true;
            const m = await api (`/api/address/${encodeURIComponent (address)}/txs/chain/${last}`);
            more.disabled = false;
            if (current (view) && m.ok && Array.isArray (m.data))
                add (m.data);
            else
                more.hidden = true;
        });
        add (h.data);
        history.replaceChildren (h.data.length ? t : notice ('None.'), more);
    };

    showSummary ();
    await Promise.all ([showUtxos (), showHistory ()]);
    state.onTip = async () => {
        const again = await api (`/api/address/${encodeURIComponent (address)}`);
        if (!current (view) || !again.ok)
            return;
        const moved = again.data.balance !== a.balance || again.data.utxo_count !== a.utxo_count;
        a = again.data;
        showSummary ();
        if (moved)
            await Promise.all ([showUtxos (), showHistory ()]);
    };
}

// ---------------------------------------------------------------- mempool page

// Esplora's fee_histogram: [[rate, bytes], ...] from the highest rate down
function histogram (buckets) {
    const width = 640, barH = 22, gap = 6, left = 110, right = 90;
    const max = Math.max (1, ...buckets.map ((b) => b [1]));
    const height = buckets.length * (barH + gap) + gap;
    const chart = svg ('svg', { id: 'mempool-histogram', viewBox: `0 0 ${width} ${height}`, role: 'img',
                                'aria-label': 'bytes waiting by fee rate', class: 'chart' });
    buckets.forEach (([rate, size], i) => {
        const y = gap + i * (barH + gap);
        const w = Math.max (1, Math.round ((width - left - right) * size / max));
        chart.append (
            svg ('text', { x: left - 8, y: y + barH * 0.7, 'text-anchor': 'end', class: 'label' },
                 `≥ ${count (rate)}`),
            svg ('rect', { x: left, y, width: w, height: barH, rx: 3, class: 'bar' },
                 svg ('title', {}, `${bytes (size)} at ${count (rate)} per 1,000 bytes or more`)),
            svg ('text', { x: left + w + 6, y: y + barH * 0.7, class: 'label' }, bytes (size)));
    });
    return chart;
}

async function renderMempool () {
    const view = begin ('Mempool');
    const summary = el ('div');
    const chart = el ('div');
    const estimates = el ('div');
    main ().append (section ('Mempool', summary), section ('Fee rates (base units per 1,000 bytes)', chart),
                    estimates);
    const refresh = async () => {
        const r = await api ('/api/mempool');
        if (!current (view))
            return;
        if (!r.ok)
            return summary.replaceChildren (notice (`Not available: ${r.detail}.`, 'error'));
        const m = r.data;
        summary.replaceChildren (fields ([
            ['Transactions', count (m.count), 'mempool-count'],
            ['Size', bytes (m.bytes), 'mempool-bytes'],
            ['Fees waiting', typeof m.total_fee === 'number' ? amount (m.total_fee) : undefined],
            ['Minimum fee rate', `${count (m.min_fee_rate)} per 1,000 bytes`, 'mempool-min-fee-rate'],
        ]));
        if (!Array.isArray (m.fee_histogram))
            chart.replaceChildren (notice ('Not available: this node does not give a fee histogram.'));
        else if (!m.fee_histogram.length)
            chart.replaceChildren (notice ('Nothing waiting.'));
        else
            chart.replaceChildren (histogram (m.fee_histogram));
        if (await hasNewApi ()) {
            const e = await api ('/api/fee-estimates');
            if (!current (view) || !e.ok)
                return;
            const t = table ('fee-estimates', ['#Within blocks', '#Fee rate']);
            t.tBodies [0].append (...Object.entries (e.data).sort ((x, y) => x [0] - y [0]).map (([target, rate]) =>
                el ('tr', {}, el ('td', { class: 'num' }, target), el ('td', { class: 'num' }, count (Math.ceil (rate))))));
            estimates.replaceChildren (section ('Fee estimates', t));
        }
    };
    state.onTip = refresh;
    await refresh ();
}

// ---------------------------------------------------------------- search

function say (text) {
    document.getElementById ('search-message').textContent = text;
}

// A height, a block hash or txid, or an address -> its page; or a reason
async function search (query) {
    const q = query.trim ();
    say ('');
    if (!q)
        return;
    if (/^[0-9]{1,10}$/.test (q)) {
        const height = Number (q);
        // above the tip there is nothing to ask for
        if (state.tip && height > state.tip.height)
            return say (`Not found: no block ${count (height)} yet (the tip is ${count (state.tip.height)}).`);
        const r = await api (`/api/block-height/${height}`, 'text');
        if (r.ok && isHash (r.data))
            return go (`#/block/${r.data}`);
        return say (`Not found: no block at height ${q}.`);
    }
    if (/^[0-9a-fA-F]{64}$/.test (q)) {
        const id = q.toLowerCase ();
        // a block the page has seen is a block; otherwise a transaction
        // first (the commoner search), then a block
        if (state.blocks.has (id) || (state.tip && state.tip.hash === id))
            return go (`#/block/${id}`);
        const tx = await api (`/api/tx/${id}`);
        if (tx.ok)
            return go (`#/tx/${id}`);
        const block = await getBlock (id);
        if (block.ok)
            return go (`#/block/${id}`);
        return say ('Not found: no block or transaction with that hash on this node.');
    }
    const network = state.tip && state.tip.network;
    const hrp = HRP [network];
    const lower = q.toLowerCase ();
    if (/^[a-z0-9]+1[02-9ac-hj-np-z]{6,}$/.test (lower) && (q === lower || q === q.toUpperCase ())) {
        if (!hrp || lower.startsWith (`${hrp}1`))
            return go (`#/address/${lower}`);
        return say (`Not found: ${q} is not a ${network} address (they start with ${hrp}1).`);
    }
    say ('Not found: search for a block height, a block hash, a txid or an address.');
}

function go (hash) {
    if (location.hash === hash)
        route ();
    else
        location.hash = hash;
}

// ---------------------------------------------------------------- routes

async function route () {
    const parts = location.hash.replace (/^#\/?/, '').split ('/');
    const [page, arg] = parts;
    window.scrollTo (0, 0);
    try {
        if (!page)
            return await renderFront ();
        if (page === 'block' && isHash (arg))
            return await renderBlock (arg);
        if (page === 'block-height' && /^[0-9]{1,10}$/.test (arg || '')) {
            const view = begin ('Block');
            const r = await api (`/api/block-height/${arg}`, 'text');
            if (!current (view))
                return;
            if (r.ok && isHash (r.data))
                return location.replace (`#/block/${r.data}`);
            return showError (view, 'Block not found', `No block at height ${arg}.`);
        }
        if (page === 'tx' && isHash (arg))
            return await renderTx (arg);
        if (page === 'address' && arg)
            return await renderAddress (decodeURIComponent (arg));
        if (page === 'mempool')
            return await renderMempool ();
        const view = begin ('Not found');
        showError (view, 'Not found', 'No such page. Search for a block height, a block hash, a txid or an address.');
    } catch (e) {
        // a bug of this page: say so where it shows, keep the rest working
        console.error (e);
        main ().append (notice (`This page failed: ${e.message}`, 'error'));
    }
}

function start () {
    document.getElementById ('search-form').addEventListener ('submit', (event) => {
        event.preventDefault ();
        search (document.getElementById ('search').value);
    });
    window.addEventListener ('hashchange', () => { say (''); route (); });
    // the tip first (the search needs the network, the pages the height)
    api ('/api/tip').then ((r) => {
        state.tipError = !r.ok;
        if (r.ok)
            state.tip = r.data;
        renderNavTip ();
        route ();
        setTimeout (pollTip, POLL_MS);
    });
}

start ();
