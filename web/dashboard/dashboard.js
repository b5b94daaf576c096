// dashboard.js - live charts of a zchain node, from its metrics sidecar alone
//
// Polls api/samples?since=SEQ once a second (only the samples it has not
// seen), keeps each instance's series up to the sidecar's --history, and
// draws one SVG line chart per metric with a line per instance. No library:
// the whole chart is the few functions below, so nothing is downloaded at
// build time and the page makes no request off the machine.
//
// For tests and scripts every chart is
//   <figure class="chart" data-metric="NAME" data-series-count="N">
// with one <path class="series" data-series="INSTANCE[ FIELD]"
// data-latest="V"> per line and a legend <li data-series=... data-latest=V>
// whose .value shows the newest number.
'use strict';

const POLL_MS = 1000;
const RETRY_MS = 2000;
const SVG = 'http://www.w3.org/2000/svg';
const W = 560, H = 220;
const M = { left: 64, right: 14, top: 12, bottom: 36 };

// One chart per entry: the fields it draws (a line per instance carrying
// the field, per field when there are several) and how to show them
const CHARTS = [
    { metric: 'verify_rate', title: 'Verifications per validator', unit: '1/s', axis: 'verifications/s',
      fields: ['verify_rate'] },
    { metric: 'hashrate', title: 'Hash rate per miner', unit: 'H/s', axis: 'hashes/s', fields: ['hashrate'] },
    { metric: 'work_backlog', title: 'Work backlog (waiting + in flight)', unit: 'jobs', axis: 'jobs',
      fields: ['work_backlog'] },
    { metric: 'work_workers', title: 'Validators per work pool', unit: 'workers', axis: 'workers',
      fields: ['work_workers'] },
    { metric: 'tx_rate', title: 'Transactions confirmed and accepted', unit: 'tx/s', axis: 'tx/s',
      fields: ['confirmed_rate', 'accepted_rate'], labels: { confirmed_rate: 'confirmed', accepted_rate: 'accepted' } },
    { metric: 'mempool_txs', title: 'Mempool size', unit: 'txs', axis: 'transactions', fields: ['mempool_txs'] },
    { metric: 'accept_latency', title: 'Acceptance latency (mempool)', unit: 's', axis: 'seconds',
      fields: ['accept_p50', 'accept_p99'], labels: { accept_p50: 'p50', accept_p99: 'p99' } },
    { metric: 'validate_latency', title: 'Block validation latency (storage)', unit: 's', axis: 'seconds',
      fields: ['validate_p50', 'validate_p99'], labels: { validate_p50: 'p50', validate_p99: 'p99' } },
    { metric: 'job_latency', title: 'Job latency per validator', unit: 's', axis: 'seconds',
      fields: ['job_p50', 'job_p99'], labels: { job_p50: 'p50', job_p99: 'p99' } },
    { metric: 'peers', title: 'Peers by state', unit: 'peers', axis: 'peers',
      fields: ['peers_established', 'peers_connecting', 'peers_handshaking', 'peers_suspect',
               'peers_disconnected', 'peers_banned'],
      labels: { peers_established: 'established', peers_connecting: 'connecting',
                peers_handshaking: 'handshaking', peers_suspect: 'suspect',
                peers_disconnected: 'disconnected', peers_banned: 'banned' } },
    { metric: 'drops', title: 'Drops and busy refusals', unit: '1/s', axis: 'per second',
      fields: ['drop_rate', 'busy_rate'], labels: { drop_rate: 'dropped', busy_rate: 'busy' } },
    { metric: 'cpu', title: 'CPU per instance', unit: 'cores', axis: 'cores', fields: ['cpu'] },
    { metric: 'rss', title: 'Memory per instance (resident)', unit: 'bytes', axis: 'bytes', fields: ['rss'] },
];
const COLOURS = 12;                     // classes c0..c11 in dashboard.css

const state = {
    seq: 0,                             // the newest sample we hold
    history: 600,                       // samples kept per instance (the sidecar's)
    nowMs: 0,                           // the sidecar's clock at the last answer
    instances: new Map (),              // "service/instance" -> { service, instance, alive, t, series }
    figures: new Map (),                // metric -> the chart's elements
};

// ---------------------------------------------------------------------------
//  numbers

const SI = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];

function trim (x, digits) {
    return Number (x.toPrecision (digits)).toString ();
}

// v in unit, short: "1.2 k1/s", "340 ms", "12 MiB"; bare: without a unit
// the axis label already gives ("1.2k"; times and bytes keep theirs)
function format (v, unit, bare) {
    if (v === null || v === undefined || !Number.isFinite (v))
        return '–';
    if (unit === 'bytes') {
        const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
        let i = 0;
        while (Math.abs (v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
        return `${trim (v, 3)} ${units [i]}`;
    }
    if (unit === 's') {
        if (v === 0) return '0 s';
        if (Math.abs (v) < 1e-3) return `${trim (v * 1e6, 3)} µs`;
        if (Math.abs (v) < 1) return `${trim (v * 1e3, 3)} ms`;
        return `${trim (v, 3)} s`;
    }
    const suffix = bare ? '' : ` ${unit}`;
    if (unit === 'cores')
        return `${trim (v, 2)}${suffix}`;
    for (const [scale, prefix] of SI)
        if (Math.abs (v) >= scale)
            return bare ? `${trim (v / scale, 3)}${prefix}` : `${trim (v / scale, 3)} ${prefix}${unit}`;
    return `${trim (v, 3)}${suffix}`;
}

// The smallest of 1, 2, 5 x 10^k at or above v (axis tops)
function niceCeil (v) {
    if (!(v > 0))
        return 1;
    const p = Math.pow (10, Math.floor (Math.log10 (v)));
    for (const m of [1, 2, 5, 10])
        if (m * p >= v * (1 - 1e-9))
            return m * p;
    return 10 * p;
}

// ---------------------------------------------------------------------------
//  the samples

function merge (data) {
    if (data.seq < state.seq) {          // the sidecar restarted: its numbers too
        state.instances.clear ();
        state.seq = 0;
        return false;
    }
    state.history = data.history || state.history;
    state.nowMs = data.now_ms;
    const listed = new Set ();
    for (const inst of data.instances) {
        const key = `${inst.service}/${inst.instance}`;
        listed.add (key);
        let held = state.instances.get (key);
        if (!held) {
            held = { service: inst.service, instance: inst.instance, t: [], series: {} };
            state.instances.set (key, held);
        }
        held.alive = inst.alive;
        const before = held.t.length;
        held.t.push (...inst.t);
        for (const [name, values] of Object.entries (inst.series)) {
            if (!held.series [name])
                held.series [name] = new Array (before).fill (null);
            held.series [name].push (...values);
        }
        // a field that did not come this time: keep the columns in step
        for (const values of Object.values (held.series))
            while (values.length < held.t.length)
                values.push (null);
        const extra = held.t.length - state.history;
        if (extra > 0) {
            held.t.splice (0, extra);
            for (const values of Object.values (held.series))
                values.splice (0, extra);
        }
    }
    for (const key of [...state.instances.keys ()])
        if (!listed.has (key))
            state.instances.delete (key);    // forgotten by the sidecar
    state.seq = data.seq;
    return true;
}

function latest (values) {
    for (let i = values.length - 1; i >= 0; i--)
        if (values [i] !== null)
            return values [i];
    return null;
}

// The lines of a chart: one per (instance, field) the instances carry
function seriesOf (chart) {
    const out = [];
    const keys = [...state.instances.keys ()].sort ();
    for (const field of chart.fields)
        for (const key of keys) {
            const inst = state.instances.get (key);
            const values = inst.series [field];
            if (!values)
                continue;
            const label = chart.fields.length > 1
                ? `${inst.instance} ${chart.labels [field]}` : inst.instance;
            out.push ({ label, instance: inst.instance, field, t: inst.t, values, alive: inst.alive });
        }
    return out;
}

// ---------------------------------------------------------------------------
//  drawing

function el (name, attrs, parent) {
    const e = document.createElementNS (SVG, name);
    for (const [k, v] of Object.entries (attrs || {}))
        e.setAttribute (k, v);
    if (parent)
        parent.appendChild (e);
    return e;
}

function html (name, attrs, parent, text) {
    const e = document.createElement (name);
    for (const [k, v] of Object.entries (attrs || {}))
        e.setAttribute (k, v);
    if (text !== undefined)
        e.textContent = text;
    if (parent)
        parent.appendChild (e);
    return e;
}

function makeFigure (chart) {
    const figure = html ('figure', { class: 'chart', id: `chart-${chart.metric}`,
                                     'data-metric': chart.metric, 'data-series-count': '0' });
    const caption = html ('figcaption', {}, figure);
    html ('span', { class: 'title' }, caption, chart.title);
    html ('span', { class: 'unit' }, caption, ` (${chart.unit})`);
    const svg = el ('svg', { class: 'plot', viewBox: `0 0 ${W} ${H}`, role: 'img',
                             'aria-label': chart.title }, figure);
    const legend = html ('ul', { class: 'legend' }, figure);
    document.getElementById ('charts').appendChild (figure);
    return { figure, svg, legend };
}

// A line chart: time on x over the window, 0..nice max on y
function draw (chart, parts, windowS) {
    const { figure, svg, legend } = parts;
    const lines = seriesOf (chart);
    const end = state.nowMs, start = end - windowS * 1000;
    const x = (t) => M.left + (W - M.left - M.right) * (t - start) / (end - start);
    let max = 0;
    for (const s of lines)
        for (let i = 0; i < s.t.length; i++)
            if (s.t [i] >= start && s.values [i] !== null && s.values [i] > max)
                max = s.values [i];
    //  bytes on binary steps, so the ticks read 16 MiB rather than 47.7 MiB
    const top = chart.unit === 'bytes' && max >= 1 << 20 ? niceCeil (max / (1 << 20)) * (1 << 20)
                                                         : niceCeil (max);
    const y = (v) => H - M.bottom - (H - M.top - M.bottom) * v / top;

    svg.replaceChildren ();
    // the grid and the y ticks
    for (let k = 0; k <= 4; k++) {
        const v = top * k / 4, yy = y (v);
        el ('line', { class: 'grid', x1: M.left, x2: W - M.right, y1: yy, y2: yy }, svg);
        el ('text', { class: 'tick y', x: M.left - 6, y: yy + 4 }, svg).textContent = format (v, chart.unit, true);
    }
    // the x ticks: minutes (or 10 s steps in a short window) before now
    const step = windowS <= 60 ? 10 : 60;
    for (let s = 0; s <= windowS; s += step) {
        const xx = x (end - s * 1000);
        el ('line', { class: 'tick-mark', x1: xx, x2: xx, y1: H - M.bottom, y2: H - M.bottom + 4 }, svg);
        const label = s === 0 ? 'now' : step === 60 ? `-${s / 60}m` : `-${s}s`;
        el ('text', { class: 'tick x', x: xx, y: H - M.bottom + 16 }, svg).textContent = label;
    }
    el ('line', { class: 'axis', x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }, svg);
    el ('line', { class: 'axis', x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom }, svg);
    el ('text', { class: 'axis-label x', x: (M.left + W - M.right) / 2, y: H - 4 }, svg)
        .textContent = 'time (the sidecar\'s clock)';
    const mid = (M.top + H - M.bottom) / 2;
    el ('text', { class: 'axis-label y', x: 11, y: mid, transform: `rotate(-90 11 ${mid})` }, svg)
        .textContent = chart.axis;

    legend.replaceChildren ();
    lines.forEach ((s, n) => {
        const colour = `c${n % COLOURS}`;
        let d = '', pen = false;
        for (let i = 0; i < s.t.length; i++) {
            const v = s.values [i];
            if (v === null || s.t [i] < start) {
                pen = false;            // a gap: lift the pen
                continue;
            }
            d += `${pen ? 'L' : 'M'}${x (s.t [i]).toFixed (1)},${y (v).toFixed (1)}`;
            pen = true;
        }
        const last = latest (s.values);
        el ('path', { class: `series ${colour}`, d: d || 'M0,0', 'data-series': s.label,
                      'data-instance': s.instance, 'data-field': s.field,
                      'data-latest': last === null ? '' : String (last),
                      'data-points': String (s.values.length) }, svg);
        const li = html ('li', { class: s.alive ? 'alive' : 'stale', 'data-series': s.label,
                                 'data-latest': last === null ? '' : String (last) }, legend);
        html ('span', { class: `swatch ${colour}` }, li);
        html ('span', { class: 'name' }, li, s.label);
        html ('span', { class: 'value' }, li, format (last, chart.unit));
    });
    if (!lines.length) {
        el ('text', { class: 'empty', x: (M.left + W - M.right) / 2, y: (M.top + H - M.bottom) / 2 }, svg)
            .textContent = 'no instance reports this';
    }
    figure.setAttribute ('data-series-count', String (lines.length));
    figure.setAttribute ('data-seq', String (state.seq));
}

function drawAll () {
    const windowS = Number (document.getElementById ('window').value) || 300;
    for (const chart of CHARTS)
        draw (chart, state.figures.get (chart.metric), windowS);
    const heights = [...state.instances.values ()]
        .filter ((i) => i.service === 'storage')
        .map ((i) => latest (i.series.height || []))
        .filter ((v) => v !== null);
    const height = document.getElementById ('height');
    height.textContent = heights.length ? String (heights [0]) : '–';
    height.setAttribute ('data-value', heights.length ? String (heights [0]) : '');
    const all = [...state.instances.values ()];
    const alive = all.filter ((i) => i.alive).length;
    const aliveEl = document.getElementById ('alive');
    aliveEl.textContent = `${alive} of ${all.length}`;
    aliveEl.setAttribute ('data-value', String (alive));
    document.getElementById ('updated').textContent = new Date (state.nowMs).toLocaleTimeString ();
    const list = document.getElementById ('instances');
    list.replaceChildren ();
    for (const key of [...state.instances.keys ()].sort ()) {
        const i = state.instances.get (key);
        html ('li', { class: i.alive ? 'alive' : 'stale', 'data-instance': i.instance,
                      'data-service': i.service, 'data-alive': String (i.alive) }, list,
              i.instance);
    }
}

function setStatus (kind, text) {
    const status = document.getElementById ('status');
    status.setAttribute ('data-state', kind);
    status.textContent = text;
}

// ---------------------------------------------------------------------------
//  the loop: one request at a time, the next a second after the answer

async function poll () {
    let wait = POLL_MS;
    try {
        const response = await fetch (`api/samples?since=${state.seq}`, { cache: 'no-store' });
        if (!response.ok)
            throw new Error (`the sidecar answered ${response.status}`);
        const data = await response.json ();
        if (merge (data)) {
            drawAll ();
            setStatus ('ok', `live: sample ${state.seq}, ${state.instances.size} instances`);
        }
        else
            wait = 0;                   // start over at once
    }
    catch (err) {
        setStatus ('error', `no answer from the sidecar (${err.message}); retrying`);
        wait = RETRY_MS;
    }
    setTimeout (poll, wait);
}

function start () {
    for (const chart of CHARTS)
        state.figures.set (chart.metric, makeFigure (chart));
    document.getElementById ('window').addEventListener ('change', drawAll);
    poll ();
}

document.addEventListener ('DOMContentLoaded', start);
