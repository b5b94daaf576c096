// dashboard.test.mjs - the sidecar's dashboard in Chromium, on a node under load
//
// Run by tests/browser/run.sh (a node with --validators 2 and zchain bench
// on it). Opens ZC_DASHBOARD_URL and checks what a person would see: a
// verifications chart with one line per validator instance whose numbers
// move, every chart titled with a legend, and a page with no errors and
// no request off the machine. Saves dashboard.png into ZC_OUT.
import { launch, assertNoProblems, until } from './lib.mjs';
import assert from 'node:assert/strict';

const url = process.env.ZC_DASHBOARD_URL;
assert.ok (url, 'ZC_DASHBOARD_URL is not set (run tests/browser/run.sh)');
const VALIDATORS = 2;

// Every legend's newest numbers in the verifications chart, by instance
async function verifyValues (page) {
    return page.$$eval ('figure.chart[data-metric="verify_rate"] .legend li',
                        (items) => Object.fromEntries (items.map ((li) => [li.dataset.series,
                                                                           li.dataset.latest])));
}

const { page, problems, shot, close } = await launch ();
try {
    const response = await page.goto (url, { waitUntil: 'load' });
    assert.equal (response.status (), 200, 'the dashboard answers 200');
    assert.match (response.headers () ['content-security-policy'] || '', /default-src 'self'/,
                  'the page is served with a same-origin policy');
    assert.equal (await page.title (), 'zchain dashboard');

    // the first answer from api/samples is drawn
    await until (() => page.$eval ('#status', (e) => e.dataset.state === 'ok'), 20000,
                 'the dashboard to say it is live');

    // one line per validator instance, each named in the legend
    const chart = 'figure.chart[data-metric="verify_rate"]';
    await until (async () => (await page.$$ (`${chart} path.series`)).length === VALIDATORS, 20000,
                 `${VALIDATORS} lines in the verifications chart`);
    const names = await page.$$eval (`${chart} path.series`, (ps) => ps.map ((p) => p.dataset.instance).sort ());
    assert.deepEqual (names, ['validator-1', 'validator-2'], 'a line for each validator instance');
    assert.equal (await page.$eval (chart, (f) => f.dataset.seriesCount), String (VALIDATORS));
    const legend = await page.$$eval (`${chart} .legend li .name`, (ls) => ls.map ((l) => l.textContent).sort ());
    assert.deepEqual (legend, names, 'the legend names the instances');
    assert.match (await page.$eval (`${chart} figcaption`, (c) => c.textContent), /Verifications/);
    const yLabel = await page.$eval (`${chart} .axis-label.y`, (t) => t.textContent);
    assert.match (yLabel, /verifications\/s/, 'the y axis says its unit');

    // the numbers move: under the bench's load the validators verify, and a
    // later read differs from the first (a bound, not a timing)
    const first = await verifyValues (page);
    await until (async () => {
        const now = await verifyValues (page);
        const moved = Object.keys (now).some ((k) => now [k] !== first [k]);
        const working = Object.values (now).some ((v) => Number (v) > 0);
        return moved && working;
    }, 120000, 'the verification rates to move above 0 under load');
    const paths = await page.$$eval (`${chart} path.series`, (ps) => ps.map ((p) => p.getAttribute ('d')));
    for (const d of paths)
        assert.ok ((d.match (/L/g) || []).length >= 2, `a line of several points is drawn: ${d.slice (0, 60)}`);

    // every chart has a title, axis labels and a legend or says it has no data
    const charts = await page.$$eval ('figure.chart', (fs) => fs.map ((f) => ({
        metric: f.dataset.metric,
        title: f.querySelector ('figcaption .title')?.textContent || '',
        axes: f.querySelectorAll ('.axis-label').length,
        lines: f.querySelectorAll ('path.series').length,
        legend: f.querySelectorAll ('.legend li').length,
        empty: !!f.querySelector ('.empty'),
    })));
    for (const c of ['hashrate', 'work_backlog', 'work_workers', 'tx_rate', 'mempool_txs', 'accept_latency',
                     'validate_latency', 'peers', 'drops', 'cpu', 'rss'])
        assert.ok (charts.find ((x) => x.metric === c), `a ${c} chart`);
    for (const c of charts) {
        assert.ok (c.title.length > 0, `${c.metric} has a title`);
        assert.equal (c.axes, 2, `${c.metric} labels both axes`);
        assert.equal (c.lines, c.legend, `${c.metric}: a legend entry per line`);
        assert.ok (c.lines > 0 || c.empty, `${c.metric} draws lines or says there is no data`);
    }
    // one miner, and every instance's CPU
    assert.equal (charts.find ((x) => x.metric === 'hashrate').lines, 1, 'one line for the one miner');
    const cpu = charts.find ((x) => x.metric === 'cpu').lines;
    assert.ok (cpu >= 6, `CPU for every instance (storage, mempool, gateway, 2 validators, miner): ${cpu}`);

    // the window selector redraws at once: a minute of time on the x axis
    await page.selectOption ('#window', '60');
    const ticks = await page.$$eval (`${chart} .tick.x`, (ts) => ts.map ((t) => t.textContent));
    assert.deepEqual (ticks, ['now', '-10s', '-20s', '-30s', '-40s', '-50s', '-60s']);
    await shot ('dashboard');
    assertNoProblems (problems);
    console.log (`dashboard: ${VALIDATORS} validator lines, rates ${JSON.stringify (await verifyValues (page))}`);
}
finally {
    await close ();
}
