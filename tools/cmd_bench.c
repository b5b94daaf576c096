/*  cmd_bench.c - zchain bench: the load generator
 *
 *  1. funds K accounts by a fan-out from the wallet (one output per
 *     transaction to come) and waits for it to confirm;
 *  2. pre-signs N one-input transactions, each spending one funded output
 *     and paying the next account, before any timing starts;
 *  3. submits them in batches through the gateway at a fixed offered rate,
 *     or as fast as a bounded in-flight window allows;
 *  4. follows block notifications to time each transaction from submission
 *     to acceptance and to confirmation;
 *  5. reports offered and achieved rates, rejects by reason, latencies.
 *  --verify then checks every account's balance against the books and
 *  that all unspent outputs add up to the coinbases issued.
 *  --sweep does all of it once per offered rate, rising, and reports each
 *  step's confirmed rate and latencies (the pure parts are in sweep.c).
 *  --report writes all of it as one HTML page with charts: the counts of
 *  every second of a run, the latencies binned (the pure part: report.c).
 */
#include "cli.h"
#include "cpu_cost.h"
#include "node.h"
#include "report.h"
#include "spend.h"
#include "sweep.h"
#include "zc_amount.h"
#include "zc_bech32.h"
#include "zc_check.h"
#include "zc_hashkey.h"
#include "zc_hex.h"
#include "zc_log.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "events.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FUND_AMOUNT 100000              //  base units per funded output
#define FEE 400                         //  per benchmark transaction (~2.1 units/byte)
#define MAX_FANOUT_OUTPUTS 2000

//  every output the load creates must pass the mempool's default policy
_Static_assert (FUND_AMOUNT - FEE >= ZC_DUST_THRESHOLD_DEFAULT, "bench outputs would be dust");

typedef struct {
    int accounts;
    int txs;
    double rate;                        //  offered tx/s; 0: window-limited
    int window;
    int requests;                       //  submissions unanswered at once, at most
    int batch;
    int timeout_s;
    int attempts;                       //  tries per transaction (--retries + 1)
    bool verify;
    const char *notify;
    const char *metrics;                //  the sidecar, for CPU per transaction
    bool sweep;                         //  --sweep: one run per rate of plan
    sweep_plan_t plan;
    double sweep_seconds;               //  each step offers rate * this many
    double p99_cap;
    const char *plot;                   //  the sweep's SVG, or NULL
    const char *report;                 //  the HTML report, or NULL
} s_opts_t;

//  What every run of one invocation shares
typedef struct {
    cli_t *cli;
    zc_wallet_t *wallet;
    zc_client_t *client;
    zsock_t *sub;                       //  the node's notifications
    FILE *info;                         //  progress
} s_bench_t;

typedef struct {
    double p50, p90, p99, max;
    size_t n;
} s_lat_t;

//  What one run found
typedef struct {
    size_t n, submitted, accepted, n_rejected, confirmed, retries;
    size_t rejected [ZC_ERR_COUNT_ + 1];
    double offered, accept_tps, confirm_tps;
    double steady_tps;                  //  confirmed tx/s while the load was offered
    s_lat_t acc, conf;
    bool cpu_known;
    char cpu_reason [256];
    double verify_s;                    //  one BIP340 verification, CPU seconds
    double verify_before_s, verify_after_s;     //  measured before and after the run
    double per_tx;                      //  node CPU per confirmed tx, in verifications
    cpu_cost_spent_t spent;
    int verify_failures;
} s_result_t;

typedef struct {
    zc_seckey_t key;
    uint8_t pubkey [32];
    int64_t expected;                   //  balance the books say
} s_account_t;

typedef struct {
    zc_tx_t *tx;
    uint8_t *raw;
    size_t raw_size;
    int64_t submitted_us;
    int64_t accepted_us;
    int64_t confirmed_us;
    int reason;                         //  -1 pending
    int attempts;                       //  submissions so far
    int64_t retry_at_us;                //  when to submit it again
} s_item_t;

//  Tries per transaction when the node answers busy or timeout, or loses
//  the answer (the default; --retries); the answer's deadline
#define BENCH_ATTEMPTS 8
#define BENCH_ATTEMPTS_MAX 100
#define BATCH_DEADLINE_MS 15000
#define RETRY_PAUSE_US 250000

//  One submission: which transactions went in it
typedef struct {
    size_t *idx;
    size_t count;
    int64_t sent_us;
    bool open;                          //  not answered yet
} s_batch_t;

//  A block that confirmed some of ours: when, how many
typedef struct {
    int64_t at_us;
    size_t count;
} s_block_t;

//  The submission's books
typedef struct {
    s_item_t *items;
    size_t n;
    size_t answered, accepted, in_flight, retries;
    size_t open;                        //  submissions not answered yet
    size_t rejected [ZC_ERR_COUNT_ + 1];
    int attempts;                       //  tries per transaction
    size_t *retry_q;                    //  ring of n: transactions to submit again
    size_t q_head, q_tail;
    s_block_t *blocks;                  //  in the order they came
    size_t n_blocks, blocks_cap;
} s_run_t;

//  Settle a batch with its reply r (NULL: every transaction gets reason).
//  A transient refusal goes back in line, a duplicate on a second try is
//  an acceptance (handlers are idempotent: the first try got through), and
//  anything already seen confirmed is accepted whatever the answer.
static void
s_settle (s_run_t *run, s_batch_t *batch, const Zc__SubmitTxsReply *r, int reason, int64_t now)
{
    batch->open = false;
    run->open--;
    for (size_t k = 0; k < batch->count; k++) {
        s_item_t *item = &run->items [batch->idx [k]];
        run->in_flight--;
        if (item->reason != -1)
            continue;
        int why = r ? (k < r->n_results ? (int) r->results [k]->reason : ZC_ERR_INTERNAL) : reason;
        if (item->confirmed_us || (why == ZC_ERR_DUPLICATE && item->attempts > 1))
            why = ZC_OK;
        if ((why == ZC_ERR_BUSY || why == ZC_ERR_TIMEOUT) && item->attempts < run->attempts) {
            //  backing off: 0.25 s doubling to 4 s, some 16 s in all, which
            //  outlasts a storage restart under load
            int doublings = item->attempts - 1 < 4 ? item->attempts - 1 : 4;
            item->retry_at_us = now + ((int64_t) RETRY_PAUSE_US << (doublings > 0 ? doublings : 0));
            run->retry_q [run->q_tail++ % run->n] = batch->idx [k];
            run->retries++;
            continue;
        }
        item->reason = why;
        item->accepted_us = why == ZC_OK ? now : 0;
        if (why == ZC_OK)
            run->accepted++;
        else
            run->rejected [why >= 0 && why < ZC_ERR_COUNT_ ? why : ZC_ERR_COUNT_]++;
        run->answered++;
    }
    free (batch->idx);
    batch->idx = NULL;
}

static volatile sig_atomic_t s_interrupted;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_interrupted = 1;
}

static void
s_help (FILE *out)
{
    fprintf (out,
        "usage: zchain bench [--accounts K] [--txs N] [--rate R] [--window W] [--batch B]\n"
        "                    [--requests Q] [--timeout S] [--verify] [--notify ENDPOINT] [--metrics URL]\n"
        "                    [--report FILE] [--json]\n"
        "       zchain bench --sweep [RATES] [--sweep-step R] [--sweep-seconds S]\n"
        "                    [--p99-cap S] [--plot FILE] [the options above but --txs, --rate]\n\n"
        "Load a node: fund K accounts from the wallet, pre-sign N one-input transactions,\n"
        "submit them through the gateway and time each to acceptance and confirmation.\n"
        "A submission answered busy or timeout, or not answered at all (a service\n"
        "restarting), is sent again: 7 retries (--retries) 0.25 s doubling to 4 s apart,\n"
        "some 16 s in all, each retry more adding 4 s; a\n"
        "latency counts from the first, and with a rate from the moment the transaction\n"
        "was due, so a bench held back by its window does not hide the wait.\n\n"
        "  --accounts K    accounts the load moves between (default 50)\n"
        "  --txs N         transactions (default 10000)\n"
        "  --rate R        offered transactions per second (default 0: as fast as the\n"
        "                  in-flight window allows)\n"
        "  --window W      transactions submitted but not yet answered, at most (default 20000)\n"
        "  --batch B       transactions per submission (default 500)\n"
        "  --requests Q    submissions not yet answered, at most (default 48: under the\n"
        "                  gateway's bound of 64 a client, --client-in-flight)\n"
        "  --timeout S     seconds to wait for confirmations (default 120)\n"
        "  --retries N     send a busy or unanswered submission again up to N times\n"
        "                  (default 7; a host lost under load may need 20)\n"
        "  --verify        afterwards check every balance and the total of all outputs\n"
        "  --notify EP     the node's notification endpoint (env ZC_NODE_NOTIFY, default:\n"
        "                  DATADIR's)\n"
        "  --metrics URL   the node's sidecar (env ZC_NODE_METRICS, default\n"
        "                  http://127.0.0.1:7790): every service's CPU over the timed\n"
        "                  part, per confirmed transaction, as a multiple of one BIP340\n"
        "                  verification measured here before and after the run (the\n"
        "                  lower of the two; \"cpu\" in --json; null when the sidecar\n"
        "                  does not answer)\n"
        "  --report FILE   also write FILE, one HTML page for a browser (no script, nothing\n"
        "                  fetched): submitted, accepted and confirmed tx/s each second of\n"
        "                  the run, histograms of acceptance and confirmation latency with\n"
        "                  p50/p90/p99/max marked, and every figure of --json; with --sweep,\n"
        "                  the sweep's table and plot first, then each step\n"
        "  --json          the figures as one JSON object on stdout, progress on stderr\n\n"
        "Sweep: one run as above per offered rate, rising, each offering rate times\n"
        "--sweep-seconds transactions (funded and signed before its clock starts). Per\n"
        "step: the confirmed rate achieved while the load was offered (confirmed\n"
        "transactions after the first block with ours, over the blocks up to the end of\n"
        "the submission), p50/p90/p99/max confirmation latency and the node's CPU per\n"
        "transaction. Then the highest offered rate whose p99 stayed under the cap, with\n"
        "every lower step under it too and all its transactions confirmed. The table goes\n"
        "to stdout (--json: every point as JSON), progress to stderr.\n\n"
        "  --sweep [RATES] the rates, tx/s: FROM..TO (FROM, FROM+step, ... up to TO),\n"
        "                  stopping after the first saturated step (not every\n"
        "                  transaction confirmed, under 80 %% of the rate offered\n"
        "                  confirmed, or p99 over twice the cap); or a list R1,R2,...\n"
        "                  run whole (default 2000..60000)\n"
        "  --sweep-step R  between the rates of FROM..TO (default FROM)\n"
        "  --sweep-seconds S  seconds of load per step (default 5)\n"
        "  --p99-cap S     the p99 confirmation latency a rate must stay under, seconds\n"
        "                  (default 2)\n"
        "  --plot FILE     write an SVG plot: p50 and p99 latency against the confirmed\n"
        "                  rate, each point labelled with its offered rate\n");
}

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

//  The latencies of the items that got there (to confirmation or to
//  acceptance): their quantiles, and binned into hist when not NULL
static s_lat_t
s_latency (s_item_t *items, size_t n, bool confirmation, report_hist_t *hist)
{
    int64_t *v = malloc ((n ? n : 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < n; i++) {
        int64_t end = confirmation ? items [i].confirmed_us : items [i].accepted_us;
        if (end && items [i].submitted_us)
            v [k++] = end - items [i].submitted_us;
    }
    s_lat_t l = { 0, 0, 0, 0, k };
    if (k) {
        qsort (v, k, sizeof *v, s_cmp_i64);
        l.p50 = (double) v [k * 50 / 100] / 1e6;
        l.p90 = (double) v [k * 90 / 100] / 1e6;
        l.p99 = (double) v [k * 99 / 100] / 1e6;
        l.max = (double) v [k - 1] / 1e6;
    }
    if (hist && v)
        report_hist_build (hist, v, k);
    free (v);
    return l;
}

//  Drain block notifications: confirmation times for our txids, and the
//  blocks that carried them into run
static size_t
s_follow_blocks (zsock_t *sub, zhashx_t *index, s_run_t *run)
{
    size_t confirmed = 0;
    while (zsock_events (sub) & ZMQ_POLLIN) {
        zc_frames_t frames;
        if (zc_frames_recv (sub, &frames, ZMQ_DONTWAIT))
            break;
        zc_env_t env;
        if (frames.count == 2 && zc_frame_size (&frames, 0) == 15
        &&  !memcmp (zc_frame_data (&frames, 0), "block.connected", 15)
        &&  zc_frames_envelope (&frames, &env) == ZC_OK) {
            int64_t now = zc_mono_us ();
            Zc__ChainEvent *ev = zc__chain_event__unpack (NULL, env.body_size, env.body);
            size_t ours = 0;
            for (size_t i = 0; ev && i < ev->n_txids; i++) {
                if (ev->txids [i].len != 32)
                    continue;
                s_item_t *item = zhashx_lookup (index, ev->txids [i].data);
                if (item && !item->confirmed_us) {
                    item->confirmed_us = now;
                    ours++;
                }
            }
            if (ours && run->n_blocks == run->blocks_cap) {
                size_t cap = run->blocks_cap ? run->blocks_cap * 2 : 64;
                s_block_t *grown = realloc (run->blocks, cap * sizeof *grown);
                if (!grown)
                    cli_die (CLI_EXIT_FAIL, "out of memory");
                run->blocks = grown;
                run->blocks_cap = cap;
            }
            if (ours)
                run->blocks [run->n_blocks++] = (s_block_t) { now, ours };
            confirmed += ours;
            if (ev)
                zc__chain_event__free_unpacked (ev, NULL);
        }
        zc_frames_close (&frames);
    }
    return confirmed;
}

//  Wait until every txid in txs is confirmed (polling the node); false on timeout
static bool
s_wait_confirmed (zc_client_t *client, zc_tx_t **txs, size_t n, int timeout_s)
{
    int64_t deadline = zc_mono_ms () + (int64_t) timeout_s * 1000;
    size_t done = 0;
    while (done < n && zc_mono_ms () < deadline && !s_interrupted) {
        Zc__GetTx req = ZC__GET_TX__INIT;
        req.txid.data = txs [done]->txid.b;
        req.txid.len = 32;
        uint32_t type;
        const uint8_t *body;
        size_t size;
        bool confirmed = false;
        if (zc_client_call (client, ZC__MSG_TYPE__GET_TX, &req.base, 5000, &type, &body, &size, NULL) == ZC_OK
        &&  type == ZC__MSG_TYPE__TX_REPLY) {
            Zc__TxReply *r = zc__tx_reply__unpack (NULL, size, body);
            confirmed = r && r->confirmed;
            if (r)
                zc__tx_reply__free_unpacked (r, NULL);
        }
        if (confirmed)
            done++;
        else
            usleep (200000);
    }
    return done == n;
}

//  One run: fund, sign, submit at o's rate, follow to confirmation,
//  verify when asked; the figures into res, and (when rep is not NULL)
//  the counts of every second and the latencies binned into rep
static void
s_run (s_bench_t *bench, const s_opts_t *opts, s_result_t *res, report_run_t *rep)
{
    cli_t *cli = bench->cli;
    zc_client_t *client = bench->client;
    zc_wallet_t *wallet = bench->wallet;
    zsock_t *sub = bench->sub;
    FILE *info = bench->info;
    s_opts_t o = *opts;
    char err [512];

    //  accounts: fresh keys, in memory only
    s_account_t *accounts = calloc ((size_t) o.accounts, sizeof *accounts);
    for (int a = 0; a < o.accounts; a++)
        if (zc_seckey_generate (&accounts [a].key) || zc_seckey_pubkey (&accounts [a].key, accounts [a].pubkey))
            cli_die (CLI_EXIT_FAIL, "cannot generate keys");

    //  1. the fan-out: one output of FUND_AMOUNT per transaction to come
    spend_coins_t coins;
    spend_coins (client, wallet, cli->params, &coins);
    spend_order_largest (&coins);
    size_t n = (size_t) o.txs;
    size_t n_fanout = (n + MAX_FANOUT_OUTPUTS - 1) / MAX_FANOUT_OUTPUTS;
    zc_tx_t **fanout = calloc (n_fanout, sizeof *fanout);
    fprintf (info, "funding %d accounts with %zu outputs in %zu transaction(s)...\n", o.accounts, n, n_fanout);
    fflush (info);
    size_t round = 0;                   //  the first funding transaction not yet confirmed
    for (size_t f = 0; f < n_fanout; f++) {
        size_t outs = n - f * MAX_FANOUT_OUTPUTS < MAX_FANOUT_OUTPUTS ? n - f * MAX_FANOUT_OUTPUTS
                                                                       : MAX_FANOUT_OUTPUTS;
        uint8_t (*keys) [32] = malloc (outs * 32);
        uint64_t *amounts = malloc (outs * sizeof *amounts);
        for (size_t k = 0; k < outs; k++) {
            size_t t = f * MAX_FANOUT_OUTPUTS + k;
            memcpy (keys [k], accounts [t % (size_t) o.accounts].pubkey, 32);
            amounts [k] = FUND_AMOUNT;
        }
        fanout [f] = spend_build (&coins, wallet, cli->params, (const uint8_t (*) [32]) keys, amounts,
                                  outs, zc_wallet_pubkey (wallet, 0), 2000, err, sizeof err);
        free (keys);
        free (amounts);
        if (!fanout [f])
            cli_die (CLI_EXIT_FAIL, "funding: %s (mine longer, or fewer --txs)", err);
        const char *detail = NULL;
        zc_err_t rc = spend_submit (client, fanout [f], &detail);
        if ((rc == ZC_ERR_TOO_LONG_CHAIN || rc == ZC_ERR_TOO_MANY_DESCENDANTS
        ||   rc == ZC_ERR_PACKAGE_TOO_LARGE) && f > round) {
            //  the chain of change outputs reached the mempool's package
            //  limits: let what is in confirm, then go on from there
            fprintf (info, "funding: %zu transaction(s) in, waiting for them to confirm (%s)...\n",
                     f - round, zc_err_name (rc));
            fflush (info);
            if (!s_wait_confirmed (client, fanout + round, f - round, o.timeout_s))
                cli_die (CLI_EXIT_FAIL, "the funding did not confirm within %d s", o.timeout_s);
            round = f;
            rc = spend_submit (client, fanout [f], &detail);
        }
        if (rc != ZC_OK)
            cli_die (CLI_EXIT_FAIL, "funding refused: %s", detail ? detail : zc_err_name (rc));
    }
    if (!s_wait_confirmed (client, fanout + round, n_fanout - round, o.timeout_s))
        cli_die (CLI_EXIT_FAIL, "the funding did not confirm within %d s", o.timeout_s);
    for (size_t t = 0; t < n; t++)
        accounts [t % (size_t) o.accounts].expected += FUND_AMOUNT;

    //  2. pre-sign every transaction before the clock starts
    s_item_t *items = calloc (n, sizeof *items);
    zhashx_t *index = zc_hashkey_table (ZC_HASHKEY_HASH, true);     //  keys: the items' txids
    const zc_hash_t *genesis = zc_params_genesis_hash (cli->params);
    int64_t sign_start = zc_mono_us ();
    for (size_t t = 0; t < n; t++) {
        size_t f = t / MAX_FANOUT_OUTPUTS, k = t % MAX_FANOUT_OUTPUTS;
        s_account_t *from = &accounts [t % (size_t) o.accounts];
        s_account_t *to = &accounts [(t + 1) % (size_t) o.accounts];
        zc_tx_t *tx = zc_tx_new (1, 1);
        tx->in [0].prevout.txid = fanout [f]->txid;
        tx->in [0].prevout.index = (uint32_t) k;
        tx->out [0].amount = FUND_AMOUNT - FEE;
        memcpy (tx->out [0].pubkey, to->pubkey, 32);
        zc_coin_t spent = { .amount = FUND_AMOUNT };
        memcpy (spent.pubkey, from->pubkey, 32);
        if (zc_tx_sign (tx, &spent, genesis, &from->key))
            cli_die (CLI_EXIT_FAIL, "cannot sign");
        items [t].tx = tx;
        items [t].raw = zc_tx_encode (tx, &items [t].raw_size);
        items [t].reason = -1;
        zhashx_insert (index, tx->txid.b, &items [t]);
        from->expected -= FUND_AMOUNT;
        to->expected += FUND_AMOUNT - FEE;
    }
    fprintf (info, "signed %zu transactions in %.2f s; submitting...\n", n,
             (double) (zc_mono_us () - sign_start) / 1e6);
    fflush (info);

    //  the node's CPU from here to the last confirmation, and one
    //  verification's cost now and again after (a shared host's speed drifts
    //  over a run; the lower of the two makes the ratio the higher, so the
    //  drift never flatters the node)
    cpu_cost_sample_t *cpu_before = calloc (2, sizeof *cpu_before), *cpu_after = cpu_before + 1;
    char cpu_reason [sizeof res->cpu_reason] = "";
    double verify_before = cpu_cost_verify_seconds ();
    bool cpu_known = cpu_before && cpu_cost_sample (o.metrics, cpu_before, cpu_reason, sizeof cpu_reason);

    //  3. submit: batches on one DEALER, many in flight, matched by request id
    zsock_t *api = zc_client_sock (client);
    s_run_t run = { .items = items, .n = n, .attempts = opts->attempts,
                    .retry_q = calloc (n, sizeof (size_t)) };
    size_t next = 0, confirmed = 0, n_batches = 0, batches_cap = 0, first_open = 0;
    s_batch_t *batches = NULL;
    uint64_t base_id = (uint64_t) zc_now_ms () << 20;
    int64_t start = zc_mono_us (), last_progress = start, end_submit = 0;
    if (rep)
        report_series_add (&rep->series, (report_row_t) { 0, 0, 0, 0 });
    while (!s_interrupted && run.retry_q) {
        int64_t now = zc_mono_us ();
        //  submit while the window, the requests and the offered rate allow:
        //  transactions to try again first (once their pause is over), then
        //  new ones. With a rate, a batch holds what fell due since the last
        //  one, often less than --batch: the cap on requests keeps a client
        //  within the gateway's per-client bound on requests in flight, and
        //  while it is reached what falls due waits for the next, fuller batch
        while (run.in_flight + (size_t) o.batch <= (size_t) o.window + (size_t) o.batch - 1
        &&     run.open < (size_t) o.requests) {
            if (n_batches == batches_cap) {
                size_t cap = batches_cap ? batches_cap * 2 : 256;
                s_batch_t *grown = realloc (batches, cap * sizeof *batches);
                if (!grown)
                    cli_die (CLI_EXIT_FAIL, "out of memory");
                batches = grown;
                batches_cap = cap;
            }
            s_batch_t *batch = &batches [n_batches];
            batch->idx = malloc ((size_t) o.batch * sizeof *batch->idx);
            if (!batch->idx)
                cli_die (CLI_EXIT_FAIL, "out of memory");
            batch->count = 0;
            while (batch->count < (size_t) o.batch && run.q_head != run.q_tail
            &&     items [run.retry_q [run.q_head % n]].retry_at_us <= now)
                batch->idx [batch->count++] = run.retry_q [run.q_head++ % n];
            while (batch->count < (size_t) o.batch && next < n
            &&     !(o.rate > 0 && (double) next > o.rate * (double) (now - start) / 1e6)) {
                //  paced, a transaction's latency counts from when it was
                //  due: late because the window was full is late
                items [next].submitted_us = o.rate > 0 ? start + (int64_t) ((double) next * 1e6 / o.rate) : now;
                batch->idx [batch->count++] = next++;
            }
            if (batch->count == 0) {
                free (batch->idx);
                break;
            }
            ProtobufCBinaryData *txs = calloc (batch->count, sizeof *txs);
            if (!txs)
                cli_die (CLI_EXIT_FAIL, "out of memory");
            for (size_t k = 0; k < batch->count; k++) {
                s_item_t *item = &items [batch->idx [k]];
                txs [k].data = item->raw;
                txs [k].len = item->raw_size;
                item->attempts++;
            }
            Zc__SubmitTxs req = ZC__SUBMIT_TXS__INIT;
            req.n_txs = batch->count;
            req.txs = txs;
            req.source = (char *) "bench";
            zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__SUBMIT_TXS,
                                .request_id = base_id + n_batches,
                                .deadline_ms = (uint64_t) (zc_now_ms () + BATCH_DEADLINE_MS) };
            int rc = zc_zmq_send (api, NULL, 0, &header, &req.base, 0);
            free (txs);
            batch->sent_us = now;
            batch->open = true;
            run.open++;
            run.in_flight += batch->count;
            n_batches++;
            if (next == n && !end_submit)
                end_submit = zc_mono_us ();
            if (rc) {
                s_settle (&run, batch, NULL, ZC_ERR_BUSY, now);
                break;
            }
        }
        //  answers
        zmq_pollitem_t poll [2] = { { zsock_resolve (api), 0, ZMQ_POLLIN, 0 },
                                    { zsock_resolve (sub), 0, ZMQ_POLLIN, 0 } };
        zmq_poll (poll, 2, 5);
        while (zsock_events (api) & ZMQ_POLLIN) {
            zc_frames_t frames;
            if (zc_frames_recv (api, &frames, ZMQ_DONTWAIT))
                break;
            zc_env_t env;
            if (zc_frames_envelope (&frames, &env) == ZC_OK && env.request_id >= base_id
            &&  env.request_id < base_id + n_batches && batches [env.request_id - base_id].open) {
                Zc__SubmitTxsReply *r = env.type == ZC__MSG_TYPE__SUBMIT_TXS_REPLY
                    ? zc__submit_txs_reply__unpack (NULL, env.body_size, env.body) : NULL;
                zc_err_t batch_reason = ZC_ERR_INTERNAL;
                if (!r && env.type == ZC__MSG_TYPE__ERROR_REPLY) {
                    Zc__ErrorReply *e = zc__error_reply__unpack (NULL, env.body_size, env.body);
                    if (e) {
                        batch_reason = (zc_err_t) e->reason;
                        zc__error_reply__free_unpacked (e, NULL);
                    }
                }
                s_settle (&run, &batches [env.request_id - base_id], r, batch_reason, zc_mono_us ());
                if (r)
                    zc__submit_txs_reply__free_unpacked (r, NULL);
            }
            zc_frames_close (&frames);
        }
        confirmed += s_follow_blocks (sub, index, &run);
        now = zc_mono_us ();
        //  a batch unanswered long past its deadline was lost (a service
        //  restarted under it): its transactions go back in line
        while (first_open < n_batches
        &&    (!batches [first_open].open
               || now - batches [first_open].sent_us > (BATCH_DEADLINE_MS + 5000) * 1000LL)) {
            if (batches [first_open].open)
                s_settle (&run, &batches [first_open], NULL, ZC_ERR_TIMEOUT, now);
            first_open++;
        }
        if (now - last_progress >= 1000000) {
            double secs = (double) (now - start) / 1e6;
            fprintf (info, "%6.1f s  submitted %zu  accepted %zu  confirmed %zu  (%.0f tx/s confirmed)%s\n",
                     secs, next, run.accepted, confirmed, (double) confirmed / secs,
                     run.retries ? "  retried" : "");
            fflush (info);
            if (rep)
                report_series_add (&rep->series, (report_row_t) { secs, next, run.accepted, confirmed });
            last_progress = now;
        }
        if (run.answered == n && confirmed >= run.accepted)
            break;
        if (end_submit && now - end_submit > (int64_t) o.timeout_s * 1000000)
            break;
    }
    int64_t finish = zc_mono_us ();
    if (rep)
        report_series_end (&rep->series, (report_row_t) { (double) (finish - start) / 1e6, next, run.accepted,
                                                          confirmed });
    cpu_cost_spent_t spent;
    memset (&spent, 0, sizeof spent);
    double verify_s = 0, verify_after = 0;
    if (cpu_known) {
        usleep (1200000);               //  the last second's snapshots reach the sidecar
        cpu_known = cpu_cost_sample (o.metrics, cpu_after, cpu_reason, sizeof cpu_reason);
        verify_after = cpu_cost_verify_seconds ();
        verify_s = verify_before > 0 && verify_before < verify_after ? verify_before : verify_after;
        cpu_known = cpu_known && verify_s > 0 && confirmed > 0;
    }
    if (cpu_known)
        cpu_cost_spent (cpu_before, cpu_after, &spent);
    free (cpu_before);
    //  the node's CPU per confirmed transaction, in verifications
    double per_tx = cpu_known ? spent.total / (double) confirmed / verify_s : 0;
    int64_t last_confirm = start, last_accept = start;
    for (size_t t = 0; t < n; t++) {
        if (items [t].confirmed_us > last_confirm)
            last_confirm = items [t].confirmed_us;
        if (items [t].accepted_us > last_accept)
            last_accept = items [t].accepted_us;
    }
    double accept_secs = (double) (last_accept - start) / 1e6;
    double submit_secs = (double) ((end_submit ? end_submit : finish) - start) / 1e6;
    double confirm_secs = (double) (last_confirm - start) / 1e6;
    s_lat_t acc = s_latency (items, n, false, rep ? &rep->accept_hist : NULL);
    s_lat_t conf = s_latency (items, n, true, rep ? &rep->confirm_hist : NULL);
    size_t accepted = run.accepted, n_rejected = run.answered - run.accepted;
    size_t *rejected = run.rejected;
    double offered = o.rate > 0 ? o.rate : (double) n / (submit_secs > 0 ? submit_secs : 1);
    //  the confirmed rate while the load was offered: the first block with
    //  ours came at some point of its interval, so count what came after
    //  it, up to the last block before the submission ended (a short run
    //  with no second block by then: up to the last of all); a run of one
    //  block has only its first submission to last confirmation
    double steady = (double) confirmed / (confirm_secs > 0 ? confirm_secs : 1);
    size_t last_block = 0;
    for (size_t k = 1; k < run.n_blocks; k++)
        if (end_submit && run.blocks [k].at_us <= end_submit)
            last_block = k;
    if (last_block == 0 && run.n_blocks > 1)
        last_block = run.n_blocks - 1;
    if (last_block > 0 && run.blocks [last_block].at_us > run.blocks [0].at_us) {
        size_t carried = 0;
        for (size_t k = 1; k <= last_block; k++)
            carried += run.blocks [k].count;
        steady = (double) carried / ((double) (run.blocks [last_block].at_us - run.blocks [0].at_us) / 1e6);
    }

    //  5. verify the books
    int verify_failures = 0;
    if (o.verify) {
        for (int a = 0; a < o.accounts; a++) {
            Zc__GetAddress req = ZC__GET_ADDRESS__INIT;
            req.pubkey.data = accounts [a].pubkey;
            req.pubkey.len = 32;
            size_t size;
            const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_ADDRESS, &req.base,
                                             ZC__MSG_TYPE__ADDRESS_REPLY, &size);
            Zc__AddressReply *r = zc__address_reply__unpack (NULL, size, body);
            //  rejected transactions leave their funds where they were
            int64_t expected = accounts [a].expected;
            if (r && (int64_t) r->balance != expected && n_rejected == 0) {
                fprintf (stderr, "account %d: balance %llu, the books say %lld\n", a,
                         (unsigned long long) r->balance, (long long) expected);
                verify_failures++;
            }
            if (r)
                zc__address_reply__free_unpacked (r, NULL);
        }
        Zc__GetTip treq = ZC__GET_TIP__INIT;
        size_t size;
        const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_TIP, &treq.base, ZC__MSG_TYPE__TIP_REPLY, &size);
        Zc__TipReply *tip = zc__tip_reply__unpack (NULL, size, body);
        uint64_t issued = 0;
        for (uint32_t h = 1; tip && h <= tip->height; h++)
            issued += zc_params_subsidy (cli->params, h);
        if (!tip || tip->total_amount != issued) {
            fprintf (stderr, "all unspent outputs add up to %llu; the coinbases issued %llu\n",
                     tip ? (unsigned long long) tip->total_amount : 0ULL, (unsigned long long) issued);
            verify_failures++;
        }
        if (tip)
            zc__tip_reply__free_unpacked (tip, NULL);
    }


    *res = (s_result_t) {
        .n = n, .submitted = next, .accepted = accepted, .n_rejected = n_rejected, .confirmed = confirmed,
        .retries = run.retries, .offered = offered,
        .accept_tps = (double) accepted / (accept_secs > 0 ? accept_secs : 1),
        .confirm_tps = (double) confirmed / (confirm_secs > 0 ? confirm_secs : 1),
        .steady_tps = steady, .acc = acc, .conf = conf, .cpu_known = cpu_known,
        .verify_s = verify_s, .verify_before_s = verify_before, .verify_after_s = verify_after,
        .per_tx = per_tx, .spent = spent, .verify_failures = verify_failures
    };
    memcpy (res->rejected, rejected, sizeof res->rejected);
    snprintf (res->cpu_reason, sizeof res->cpu_reason, "%s", cpu_reason);

    for (size_t t = 0; t < n; t++) {
        zc_tx_destroy (&items [t].tx);
        free (items [t].raw);
    }
    for (size_t f = 0; f < n_fanout; f++)
        zc_tx_destroy (&fanout [f]);
    explicit_bzero (accounts, (size_t) o.accounts * sizeof *accounts);
    free (accounts);
    free (items);
    free (fanout);
    for (size_t b = 0; b < n_batches; b++)
        free (batches [b].idx);
    free (batches);
    free (run.retry_q);
    free (run.blocks);
    zhashx_destroy (&index);
    spend_coins_free (&coins);
}

//  One run's figures, as JSON or for people
static void
s_print (const s_opts_t *o, const s_result_t *r, bool json)
{
    size_t n = r->n, confirmed = r->confirmed;
    if (json) {
        printf ("{\"txs\":%zu,\"accounts\":%d,\"batch\":%d,\"window\":%d,\"requests\":%d,"
                "\"offered_tps\":%.1f,"
                "\"submitted\":%zu,\"accepted\":%zu,\"rejected\":%zu,\"confirmed\":%zu,\"retries\":%zu,"
                "\"accept_tps\":%.1f,\"confirm_tps\":%.1f,\"error_rate\":%.6f,"
                "\"accept_latency\":{\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"max\":%.4f},"
                "\"confirm_latency\":{\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,\"max\":%.4f},"
                "\"rejected_by_reason\":{",
                n, o->accounts, o->batch, o->window, o->requests, r->offered, r->submitted, r->accepted, r->n_rejected,
                confirmed, r->retries, r->accept_tps, r->confirm_tps,
                n ? (double) (n - confirmed) / (double) n : 0.0,
                r->acc.p50, r->acc.p90, r->acc.p99, r->acc.max,
                r->conf.p50, r->conf.p90, r->conf.p99, r->conf.max);
        int k = 0;
        for (int why = 0; why <= ZC_ERR_COUNT_; why++)
            if (r->rejected [why])
                printf ("%s\"%s\":%zu", k++ ? "," : "", zc_err_name (why), r->rejected [why]);
        printf ("},\"cpu\":");
        if (r->cpu_known) {
            printf ("{\"verify_us\":%.2f,\"verify_before_us\":%.2f,\"verify_after_us\":%.2f,"
                    "\"node_seconds\":%.3f,\"per_tx_verifications\":%.3f,\"by_service\":{",
                    r->verify_s * 1e6, r->verify_before_s * 1e6, r->verify_after_s * 1e6,
                    r->spent.total, r->per_tx);
            for (size_t c = 0; c < r->spent.n; c++)
                printf ("%s\"%s\":%.3f", c ? "," : "", r->spent.share [c].service,
                        r->spent.share [c].seconds / (double) confirmed / r->verify_s);
            printf ("}}");
        }
        else
            printf ("null");
        printf (",\"verified\":%s}\n", o->verify ? (r->verify_failures ? "false" : "true") : "null");
        return;
    }
    printf ("\n%zu transactions, %d accounts, batches of %d, window %d\n", n, o->accounts, o->batch, o->window);
    printf ("offered      %.0f tx/s\n", r->offered);
    printf ("accepted     %zu (%.0f tx/s, first submission to last acceptance)\n", r->accepted, r->accept_tps);
    printf ("confirmed    %zu (%.0f tx/s, first submission to last confirmation)\n", confirmed, r->confirm_tps);
    printf ("retried      %zu submissions (busy, timeout or lost answers)\n", r->retries);
    printf ("rejected     %zu", r->n_rejected);
    for (int why = 0; why <= ZC_ERR_COUNT_; why++)
        if (r->rejected [why])
            printf ("  %s %zu", zc_err_name (why), r->rejected [why]);
    printf ("\nerror rate   %.4f%%\n", n ? 100.0 * (double) (n - confirmed) / (double) n : 0.0);
    printf ("acceptance   p50 %.3f s  p90 %.3f s  p99 %.3f s  max %.3f s\n",
            r->acc.p50, r->acc.p90, r->acc.p99, r->acc.max);
    printf ("confirmation p50 %.3f s  p90 %.3f s  p99 %.3f s  max %.3f s\n",
            r->conf.p50, r->conf.p90, r->conf.p99, r->conf.max);
    if (r->cpu_known) {
        printf ("node cpu     %.2f x one BIP340 verification (%.1f us here) per confirmed tx:",
                r->per_tx, r->verify_s * 1e6);
        for (size_t k = 0; k < r->spent.n; k++)
            printf ("  %s %.2f", r->spent.share [k].service,
                    r->spent.share [k].seconds / (double) confirmed / r->verify_s);
        printf ("\n");
    }
    else
        printf ("node cpu     unknown (%s)\n", r->cpu_reason);
    if (o->verify)
        printf ("verify       %s\n", r->verify_failures ? "FAILED" : "every balance exact; outputs add up to the coinbases");
}

//  One run's figures into its part of the report: what s_print prints
static void
s_report_figures (const s_opts_t *o, const s_result_t *r, report_run_t *rep)
{
    rep->txs = r->n;
    rep->accounts = o->accounts;
    rep->batch = o->batch;
    rep->window = o->window;
    rep->offered_tps = r->offered;
    rep->submitted = r->submitted;
    rep->accepted = r->accepted;
    rep->rejected = r->n_rejected;
    rep->confirmed = r->confirmed;
    rep->retries = r->retries;
    rep->accept_tps = r->accept_tps;
    rep->confirm_tps = r->confirm_tps;
    rep->accept = (report_lat_t) { r->acc.p50, r->acc.p90, r->acc.p99, r->acc.max, r->acc.n };
    rep->confirm = (report_lat_t) { r->conf.p50, r->conf.p90, r->conf.p99, r->conf.max, r->conf.n };
    rep->n_rejects = 0;
    for (int why = 0; why <= ZC_ERR_COUNT_ && rep->n_rejects < REPORT_MAX_REASONS; why++)
        if (r->rejected [why]) {
            report_reject_t *reject = &rep->rejects [rep->n_rejects++];
            snprintf (reject->name, sizeof reject->name, "%s", zc_err_name (why));
            reject->count = r->rejected [why];
        }
    rep->cpu_known = r->cpu_known;
    snprintf (rep->cpu_reason, sizeof rep->cpu_reason, "%s", r->cpu_reason);
    if (r->cpu_known) {
        rep->verify_us = r->verify_s * 1e6;
        rep->node_seconds = r->spent.total;
        rep->per_tx = r->per_tx;
        rep->n_services = 0;
        for (size_t k = 0; k < r->spent.n && k < REPORT_MAX_SERVICES; k++) {
            report_share_t *share = &rep->by_service [rep->n_services++];
            snprintf (share->service, sizeof share->service, "%s", r->spent.share [k].service);
            share->per_tx = r->spent.share [k].seconds / (double) r->confirmed / r->verify_s;
        }
    }
    rep->verified = o->verify ? !r->verify_failures : -1;
}

//  The report's file, written beside it first and renamed into place, so
//  that a reader never sees half a page; 0, or -1 with reason set
static int
s_report_file (const char *path, const report_t *report, char *reason, size_t reason_size)
{
    char tmp [4096];
    if ((size_t) snprintf (tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf (reason, reason_size, "the path is too long");
        return -1;
    }
    FILE *out = fopen (tmp, "w");
    int rc = out ? (report ? report_write_html (out, report) : 0) : -1;
    int saved = errno;
    if (out && fclose (out) && rc == 0)
        rc = -1, saved = errno;
    if (rc == 0 && report && rename (tmp, path))
        rc = -1, saved = errno;
    if (rc || !report)
        unlink (tmp);
    if (rc)
        snprintf (reason, reason_size, "%s", strerror (saved ? saved : EIO));
    return rc;
}

//  Write the report of runs (steps of sweep when not NULL) to o->report.
//  Its exit status.
static int
s_report (const cli_t *cli, const s_opts_t *o, const report_run_t *runs, size_t n_runs, const sweep_t *sweep,
          int argc, char **argv)
{
    //  the command line, quoted where a shell would need it
    char command [1024];
    size_t at = (size_t) snprintf (command, sizeof command, "zchain%s", cli->json ? " --json" : "");
    for (int i = 0; i < argc && at < sizeof command; i++) {
        bool plain = argv [i] [0] != 0;
        for (const char *c = argv [i]; *c && plain; c++)
            plain = strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,@%+-", *c) != NULL;
        at += (size_t) snprintf (command + at, sizeof command - at, plain ? " %s" : " '%s'", argv [i]);
    }
    char title [200];
    if (sweep)
        snprintf (title, sizeof title, "zchain bench --sweep: %zu step(s) of %g s", sweep->n, sweep->step_seconds);
    else
        snprintf (title, sizeof title, "zchain bench: %zu transactions, %d accounts", n_runs ? runs [0].txs : 0,
                  o->accounts);
    char generated [64] = "";
    time_t now = time (NULL);
    struct tm tm;
    if (gmtime_r (&now, &tm))
        strftime (generated, sizeof generated, "%Y-%m-%d %H:%M:%S UTC", &tm);
    report_t report = { .title = title, .command = command, .generated = generated [0] ? generated : NULL,
                        .runs = runs, .n_runs = n_runs, .sweep = sweep };
    char reason [256];
    if (s_report_file (o->report, &report, reason, sizeof reason)) {
        fprintf (stderr, "zchain: cannot write the report to %s: %s\n", o->report, reason);
        return CLI_EXIT_FAIL;
    }
    fprintf (stderr, "bench: report written to %s\n", o->report);
    return 0;
}

//  The sweep: one run per rate of the plan, until the plan ends or (for a
//  range) a step saturates; the table or JSON on stdout, the plot to
//  o->plot, the report to o->report. Its exit status.
static int
s_sweep (s_bench_t *b, s_opts_t *o, int argc, char **argv)
{
    sweep_t *sweep = calloc (1, sizeof *sweep);
    report_run_t *reps = o->report ? calloc (SWEEP_MAX_STEPS, sizeof *reps) : NULL;
    if (!sweep || (o->report && !reps))
        cli_die (CLI_EXIT_FAIL, "out of memory");
    sweep->p99_cap = o->p99_cap;
    sweep->step_seconds = o->sweep_seconds;
    char stopped [256] = "";
    int status = 0;
    for (size_t k = 0; k < o->plan.n && !s_interrupted; k++) {
        s_opts_t step = *o;
        step.rate = o->plan.rates [k];
        step.txs = (int) ceil (step.rate * o->sweep_seconds);
        fprintf (stderr, "sweep: step %zu of %s%zu: %.0f tx/s offered for %g s (%d transactions)\n",
                 k + 1, o->plan.stop_at_saturation ? "at most " : "", o->plan.n, step.rate,
                 o->sweep_seconds, step.txs);
        s_result_t r;
        report_run_t *rep = reps ? &reps [sweep->n] : NULL;
        s_run (b, &step, &r, rep);
        if (rep) {
            s_report_figures (&step, &r, rep);
            snprintf (rep->label, sizeof rep->label, "step %zu: %.0f tx/s offered for %g s", k + 1, step.rate,
                      o->sweep_seconds);
        }
        sweep_point_t *p = &sweep->points [sweep->n++];
        *p = (sweep_point_t) {
            .offered = step.rate, .achieved = r.steady_tps, .p50 = r.conf.p50, .p90 = r.conf.p90,
            .p99 = r.conf.p99, .max = r.conf.max, .txs = r.n, .confirmed = r.confirmed,
            .rejected = r.n_rejected, .retries = r.retries, .cpu = r.cpu_known ? r.per_tx : -1
        };
        fprintf (stderr, "sweep: %.0f tx/s offered: %.0f tx/s confirmed, p50 %.3f s, p99 %.3f s, "
                         "%zu of %zu confirmed\n", p->offered, p->achieved, p->p50, p->p99, p->confirmed, p->txs);
        char why [160];
        if (r.verify_failures) {
            snprintf (stopped, sizeof stopped, "the books did not balance after %.0f tx/s", p->offered);
            status = CLI_EXIT_FAIL;
            break;
        }
        if (sweep_point_saturated (p, o->p99_cap, why, sizeof why) && o->plan.stop_at_saturation) {
            snprintf (stopped, sizeof stopped, "saturated at %.0f tx/s: %s", p->offered, why);
            break;
        }
    }
    if (!stopped [0])
        snprintf (stopped, sizeof stopped, "%s", s_interrupted ? "interrupted" : "the last rate asked for");
    if (s_interrupted)
        status = CLI_EXIT_FAIL;
    sweep->stopped = stopped;
    fprintf (stderr, "sweep: stopped: %s\n", stopped);
    if (b->cli->json)
        sweep_write_json (stdout, sweep);
    else
        sweep_write_table (stdout, sweep);
    fflush (stdout);
    if (o->plot) {
        char title [200];
        snprintf (title, sizeof title, "zchain bench --sweep: confirmation latency against throughput "
                  "(%g s steps)", o->sweep_seconds);
        FILE *out = fopen (o->plot, "w");
        int rc = out ? sweep_write_svg (out, sweep, title) : -1;
        if (out && fclose (out))
            rc = -1;
        if (rc) {
            fprintf (stderr, "zchain: cannot write the plot to %s: %s\n", o->plot, strerror (errno));
            status = CLI_EXIT_FAIL;
        }
        else
            fprintf (stderr, "sweep: plot written to %s\n", o->plot);
    }
    if (o->report && s_report (b->cli, o, reps, sweep->n, sweep, argc, argv))
        status = CLI_EXIT_FAIL;
    if (sweep->n == 0)
        status = CLI_EXIT_FAIL;
    free (reps);
    free (sweep);
    return status;
}

//  value of option as a number in lo..hi; a usage error if it is not one
static double
s_number (const char *option, const char *value, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod (value, &end);
    if (errno || end == value || *end || !isfinite (v) || v < lo || v > hi)
        cli_die (CLI_EXIT_USAGE, "%s '%s': a number from %g to %g", option, value, lo, hi);
    return v;
}

int
cmd_bench (cli_t *cli, int argc, char **argv)
{
    s_opts_t o = { .accounts = 50, .txs = 10000, .rate = 0, .window = 20000, .requests = 48,
                   .batch = 500,
                   .timeout_s = 120, .attempts = BENCH_ATTEMPTS, .sweep_seconds = 5, .p99_cap = 2.0 };
    const char *sweep_spec = NULL;
    double sweep_step = 0;
    const char *sweep_only = NULL, *not_in_sweep = NULL;    //  an option of each kind, for errors
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        const char *v = i + 1 < argc ? argv [i + 1] : NULL;
        if (!strcmp (a, "--help") || !strcmp (a, "-h")) {
            s_help (stdout);
            return 0;
        }
        if (!strcmp (a, "--verify")) {
            o.verify = true;
            continue;
        }
        if (!strcmp (a, "--sweep")) {
            //  its rates are optional: a value is one that is not an option
            o.sweep = true;
            if (v && v [0] != '-') {
                sweep_spec = v;
                i++;
            }
            continue;
        }
        if (!v)
            cli_die (CLI_EXIT_USAGE, "%s needs a value (try zchain bench --help)", a);
        i++;
        if (!strcmp (a, "--accounts"))
            o.accounts = atoi (v);
        else
        if (!strcmp (a, "--txs"))
            o.txs = atoi (v), not_in_sweep = a;
        else
        if (!strcmp (a, "--rate"))
            o.rate = atof (v), not_in_sweep = a;
        else
        if (!strcmp (a, "--window"))
            o.window = atoi (v);
        else
        if (!strcmp (a, "--batch"))
            o.batch = atoi (v);
        else
        if (!strcmp (a, "--requests"))
            o.requests = atoi (v);
        else
        if (!strcmp (a, "--timeout"))
            o.timeout_s = atoi (v);
        else
        if (!strcmp (a, "--retries")) {
            o.attempts = atoi (v) + 1;
            if (o.attempts < 1 || o.attempts > BENCH_ATTEMPTS_MAX)
                cli_die (CLI_EXIT_USAGE, "--retries: 0 to %d", BENCH_ATTEMPTS_MAX - 1);
        }
        else
        if (!strcmp (a, "--notify"))
            o.notify = v;
        else
        if (!strcmp (a, "--metrics"))
            o.metrics = v;
        else
        if (!strcmp (a, "--sweep-step"))
            sweep_step = s_number (a, v, 0.001, SWEEP_MAX_RATE), sweep_only = a;
        else
        if (!strcmp (a, "--sweep-seconds"))
            o.sweep_seconds = s_number (a, v, 0.1, 3600), sweep_only = a;
        else
        if (!strcmp (a, "--p99-cap"))
            o.p99_cap = s_number (a, v, 0.001, 3600), sweep_only = a;
        else
        if (!strcmp (a, "--plot"))
            o.plot = v, sweep_only = a;
        else
        if (!strcmp (a, "--report"))
            o.report = v;
        else
            cli_die (CLI_EXIT_USAGE, "unknown option '%s' (try zchain bench --help)", a);
    }
    if (o.accounts < 2 || o.accounts > 100000 || o.txs < 1 || o.txs > 10000000 || o.window < 1
    ||  o.batch < 1 || o.batch > 20000 || o.timeout_s < 1 || o.rate < 0
    ||  o.requests < 1 || o.requests > 100000)
        cli_die (CLI_EXIT_USAGE, "out of range: accounts 2..100000, txs 1..10M, batch 1..20000, "
                 "requests 1..100000");
    if (!o.sweep && sweep_only)
        cli_die (CLI_EXIT_USAGE, "%s goes with --sweep (try zchain bench --help)", sweep_only);
    if (o.sweep && not_in_sweep)
        cli_die (CLI_EXIT_USAGE, "%s: a sweep sets each step's rate and transactions "
                 "(--sweep RATES, --sweep-seconds)", not_in_sweep);
    if (o.sweep) {
        char reason [200];
        if (sweep_plan (sweep_spec, sweep_step, &o.plan, reason, sizeof reason))
            cli_die (CLI_EXIT_USAGE, "%s", reason);
        for (size_t k = 0; k < o.plan.n; k++)
            if (o.plan.rates [k] * o.sweep_seconds < 1 || o.plan.rates [k] * o.sweep_seconds > 10000000)
                cli_die (CLI_EXIT_USAGE, "%g tx/s for %g s: a step is 1 to 10M transactions",
                         o.plan.rates [k], o.sweep_seconds);
    }
    if (o.report) {
        //  a report that cannot be written is known now, not after the run
        char reason [256];
        if (!o.report [0] || s_report_file (o.report, NULL, reason, sizeof reason))
            cli_die (CLI_EXIT_USAGE, "--report '%s': cannot write there: %s", o.report,
                     o.report [0] ? reason : "no file named");
    }
    if (!o.metrics)
        o.metrics = getenv ("ZC_NODE_METRICS") ? getenv ("ZC_NODE_METRICS") : "http://127.0.0.1:7790";
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);

    s_bench_t b = { .cli = cli, .info = cli->json || o.sweep ? stderr : stdout };
    char err [512];
    b.wallet = zc_wallet_load (cli->wallet, err, sizeof err);
    if (!b.wallet)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    b.client = node_connect (cli);
    char notify_ep [NODE_ENDPOINT_MAX];
    if (o.notify)
        snprintf (notify_ep, sizeof notify_ep, "%s", o.notify);
    else
        node_notify_endpoint (cli, notify_ep);
    b.sub = node_subscribe (cli, notify_ep, 1000000);

    int status;
    if (o.sweep)
        status = s_sweep (&b, &o, argc, argv);
    else {
        s_result_t r;
        report_run_t *rep = o.report ? calloc (1, sizeof *rep) : NULL;
        if (o.report && !rep)
            cli_die (CLI_EXIT_FAIL, "out of memory");
        s_run (&b, &o, &r, rep);
        s_print (&o, &r, cli->json);
        fflush (stdout);
        status = r.verify_failures || r.confirmed != r.n ? CLI_EXIT_FAIL : 0;
        if (rep) {
            s_report_figures (&o, &r, rep);
            if (s_report (cli, &o, rep, 1, NULL, argc, argv))
                status = CLI_EXIT_FAIL;
            free (rep);
        }
    }
    zsock_destroy (&b.sub);
    zc_client_destroy (&b.client);
    zc_wallet_destroy (&b.wallet);
    return status;
}
