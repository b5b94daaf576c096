/*  test_node.c - a whole node as real processes: payments, rejects, restart,
 *  validators sharing the work
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testchain.h"
#include "testnode.h"
#include "zc_hex.h"
#include "zc_params.h"
#include "zc_wallet.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "events.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

//  the gateway's bound on a client's requests in flight on this node
#define S_CLIENT_IN_FLIGHT 8

static testnode_t *s_node;
static const zc_params_t *s_params;

//  A file's text, NUL-terminated, the caller's to free; NULL when it cannot be read
static char *
s_read_file (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return NULL;
    size_t size = 0, cap = 65536;
    char *text = malloc (cap + 1);
    size_t got;
    while (text && (got = fread (text + size, 1, cap - size, file)) > 0) {
        size += got;
        if (size == cap) {
            char *grown = realloc (text, 2 * cap + 1);
            if (!grown)
                free (text);
            text = grown;
            cap *= 2;
        }
    }
    fclose (file);
    if (text)
        text [size] = 0;
    return text;
}

//  1,000 transactions among 50 accounts, all confirmed; the bench checks
//  every balance against its books and that the unspent outputs add up to
//  the coinbases issued, and writes its HTML report with the same figures
static void
test_thousand_transactions (void **state)
{
    (void) state;
    assert_true (testnode_wait_height (s_node, s_params->coinbase_maturity + 3, 300));
    char report_path [160];
    snprintf (report_path, sizeof report_path, "%s/bench-report.html", s_node->dir);
    char out [8192];
    int rc = testnode_cli (s_node, out, sizeof out,
                           "--json bench --txs 1000 --accounts 50 --verify --timeout 90 --report %s", report_path);
    print_message ("%s", out);
    assert_int_equal (rc, 0);
    assert_non_null (strstr (out, "\"confirmed\":1000,"));
    assert_non_null (strstr (out, "\"verified\":true"));

    //  the page: every figure the JSON gave, the three charts, nothing fetched
    cJSON *json = cJSON_Parse (out);
    assert_non_null (json);
    int confirmed = (int) cJSON_GetNumberValue (cJSON_GetObjectItem (json, "confirmed"));
    int accepted = (int) cJSON_GetNumberValue (cJSON_GetObjectItem (json, "accepted"));
    double p99 = cJSON_GetNumberValue (cJSON_GetObjectItem (cJSON_GetObjectItem (json, "confirm_latency"), "p99"));
    cJSON_Delete (json);
    char *html = s_read_file (report_path);
    assert_non_null (html);
    assert_true (!strncmp (html, "<!DOCTYPE html>", 15));
    assert_non_null (strstr (html, "</html>"));
    char needle [256];
    snprintf (needle, sizeof needle, "<tr><th>confirmed</th><td class=\"n\">%d</td></tr>", confirmed);
    assert_non_null (strstr (html, needle));
    snprintf (needle, sizeof needle, "<tr><th>accepted</th><td class=\"n\">%d</td></tr>", accepted);
    assert_non_null (strstr (html, needle));
    //  the table repeats the JSON's four decimals; the chart's mark rounds
    //  the unrounded figure to three, so it may differ in the last digit
    const char *row = strstr (html, "<tr><th>confirmation</th>");
    assert_non_null (row);
    snprintf (needle, sizeof needle, "<td class=\"n\">%.4f</td>", p99);
    const char *cell = strstr (row, needle);
    assert_true (cell && cell < strstr (row, "</tr>"));
    const char *chart = strstr (html, "confirmation latency: 1000 transactions");
    assert_non_null (chart);
    const char *mark = strstr (chart, ">p99 ");
    assert_non_null (mark);
    double marked = strtod (mark + 5, NULL);
    assert_true (fabs (marked - p99) <= 0.0006);
    assert_non_null (strstr (html, "<polyline class=\"confirmed\""));
    assert_non_null (strstr (html, "confirmation latency: 1000 transactions"));
    assert_non_null (strstr (html, "every balance exact"));
    assert_null (strstr (html, "<script"));
    assert_null (strstr (html, "src="));
    free (html);
    //  written beside and renamed in: nothing left over
    snprintf (needle, sizeof needle, "%s.tmp", report_path);
    assert_int_equal (access (needle, F_OK), -1);

    //  a report that cannot be written is refused before the run
    assert_int_equal (testnode_cli (s_node, NULL, 0, "bench --txs 10 --report %s/no/such/dir/r.html",
                                    s_node->dir), 2);
}

//  The bench keeps within the gateway's bound on a client's requests in
//  flight (8 on this node, s_setup): one transaction a submission, 400
//  submissions, at most --requests 8 unanswered, and not one is answered
//  busy and sent again. A bench that let its window of 20,000 decide would
//  have some 400 requests out at once, and the gateway would turn all but
//  8 away (measured so: 2,101 retries, 225 given up as busy)
static void
test_bench_requests_bound (void **state)
{
    (void) state;
    assert_true (testnode_wait_height (s_node, s_params->coinbase_maturity + 3, 300));
    char out [8192];
    int rc = testnode_cli (s_node, out, sizeof out,
                           "--json bench --txs 400 --accounts 20 --batch 1 --requests %d --timeout 90",
                           S_CLIENT_IN_FLIGHT);
    print_message ("%s", out);
    assert_int_equal (rc, 0);
    assert_non_null (strstr (out, "\"confirmed\":400,"));
    assert_non_null (strstr (out, "\"retries\":0,"));
}

//  zchain bench --sweep against the node, two tiny steps: a JSON that parses,
//  with both points, and the SVG plot of them. No timings: what the node
//  managed is not checked, only that the sweep measured and wrote it.
static void
test_sweep (void **state)
{
    (void) state;
    char svg_path [160];
    snprintf (svg_path, sizeof svg_path, "%s/sweep.svg", s_node->dir);
    char out [8192];
    int rc = testnode_cli (s_node, out, sizeof out,
                           "--json bench --sweep 100,200 --sweep-seconds 2 --accounts 20 --timeout 90 "
                           "--metrics http://127.0.0.1:%d --plot %s --report %s/sweep.html", s_node->metrics_port,
                           svg_path, s_node->dir);
    print_message ("%s", out);
    assert_int_equal (rc, 0);
    cJSON *sweep = cJSON_Parse (out);
    assert_non_null (sweep);
    assert_true (cJSON_IsNumber (cJSON_GetObjectItem (sweep, "p99_cap")));
    cJSON *best = cJSON_GetObjectItem (sweep, "max_under_cap_tps");
    assert_true (cJSON_IsNumber (best) || cJSON_IsNull (best));
    assert_string_equal (cJSON_GetStringValue (cJSON_GetObjectItem (sweep, "stopped")),
                         "the last rate asked for");
    cJSON *points = cJSON_GetObjectItem (sweep, "points");
    assert_int_equal (cJSON_GetArraySize (points), 2);
    const double offered [] = { 100, 200 };
    for (int k = 0; k < 2; k++) {
        cJSON *point = cJSON_GetArrayItem (points, k);
        assert_true (cJSON_GetNumberValue (cJSON_GetObjectItem (point, "offered_tps")) == offered [k]);
        //  every transaction of the step confirmed (2 s of it at its rate)
        assert_int_equal ((int) cJSON_GetNumberValue (cJSON_GetObjectItem (point, "txs")), 2 * offered [k]);
        assert_int_equal ((int) cJSON_GetNumberValue (cJSON_GetObjectItem (point, "confirmed")), 2 * offered [k]);
        assert_true (cJSON_GetNumberValue (cJSON_GetObjectItem (point, "achieved_tps")) > 0);
        cJSON *latency = cJSON_GetObjectItem (point, "confirm_latency");
        double p50 = cJSON_GetNumberValue (cJSON_GetObjectItem (latency, "p50"));
        double p99 = cJSON_GetNumberValue (cJSON_GetObjectItem (latency, "p99"));
        assert_true (p50 > 0 && p99 >= p50);
        //  the sidecar answered: each transaction cost at least its one verification
        assert_true (cJSON_GetNumberValue (cJSON_GetObjectItem (point, "cpu_per_tx_verifications")) >= 1.0);
    }
    cJSON_Delete (sweep);

    FILE *file = fopen (svg_path, "r");
    assert_non_null (file);
    static char svg [65536];
    size_t size = fread (svg, 1, sizeof svg - 1, file);
    fclose (file);
    svg [size] = 0;
    assert_true (!strncmp (svg, "<?xml", 5));
    assert_non_null (strstr (svg, "</svg>"));
    assert_non_null (strstr (svg, "<title>offered 100 tx/s"));
    assert_non_null (strstr (svg, "<title>offered 200 tx/s"));

    //  the report: the sweep's table and the same plot, inline, then each step
    char html_path [160];
    snprintf (html_path, sizeof html_path, "%s/sweep.html", s_node->dir);
    char *html = s_read_file (html_path);
    assert_non_null (html);
    assert_non_null (strstr (html, "<table class=\"sweep-table\">"));
    assert_non_null (strstr (html, "<title>offered 100 tx/s"));
    assert_non_null (strstr (html, "<summary>step 2: 200 tx/s offered for 2 s</summary>"));
    assert_non_null (strstr (html, "<tr><th>confirmed</th><td class=\"n\">400</td></tr>"));
    free (html);

    //  and a bad sweep is refused before anything starts
    assert_int_equal (testnode_cli (s_node, NULL, 0, "bench --sweep 200,100"), 2);
}

//  Submit hex through HTTP: the status and the error name in the body
static int
s_submit_http (const char *hex, char *out, size_t out_size)
{
    return testnode_http (s_node, s_node->http_port, "POST", "/api/tx", hex, out, out_size);
}

static void
s_expect (const uint8_t *raw, size_t size, zc_err_t expect, const char *http_error)
{
    assert_int_equal (testchain_submit_tx (s_node, raw, size), expect);
    char *hex = malloc (2 * size + 1);
    zc_hex_encode (raw, size, hex);
    char out [4096];
    int status = s_submit_http (hex, out, sizeof out);
    free (hex);
    if (http_error) {
        assert_int_equal (status, 400);
        char needle [64];
        snprintf (needle, sizeof needle, "\"error\":\"%s\"", http_error);
        assert_non_null (strstr (out, needle));
    }
    //  and the node keeps serving
    assert_true (testnode_height (s_node, NULL) > 0);
}

//  Submit one transaction again: accepted, and marked as one the node
//  had already?
static bool
s_submit_known (const uint8_t *raw, size_t size)
{
    Zc__SubmitTxs req = ZC__SUBMIT_TXS__INIT;
    ProtobufCBinaryData txs [1] = { { size, (uint8_t *) raw } };
    req.n_txs = 1;
    req.txs = txs;
    size_t reply_size;
    const uint8_t *body = testnode_call (s_node, ZC__MSG_TYPE__SUBMIT_TXS, &req.base, &reply_size, NULL);
    assert_non_null (body);
    Zc__SubmitTxsReply *r = zc__submit_txs_reply__unpack (NULL, reply_size, body);
    assert_non_null (r);
    assert_int_equal (r->n_results, 1);
    bool known = r->results [0]->reason == ZC_OK && r->results [0]->known;
    zc__submit_txs_reply__free_unpacked (r, NULL);
    return known;
}

//  Every reject reason, through the ZeroMQ api and HTTP
static void
test_reject_reasons (void **state)
{
    (void) state;
    testchain_coin_t coins [3];
    assert_int_equal (testchain_coins (s_node, s_params, coins, 3), 3);

    //  garbage, truncated, oversize
    uint8_t garbage [] = { 0xde, 0xad, 0xbe, 0xef };
    s_expect (garbage, sizeof garbage, ZC_ERR_MALFORMED, "malformed");
    char out [4096];
    assert_int_equal (s_submit_http ("not hex at all", out, sizeof out), 400);
    assert_non_null (strstr (out, "\"error\":\"malformed\""));
    zc_tx_t *good = testchain_pay (s_params, &coins [0], 1000);
    size_t size;
    uint8_t *raw = zc_tx_encode (good, &size);
    s_expect (raw, size - 1, ZC_ERR_MALFORMED, "malformed");
    uint8_t *big = calloc (1, ZC_TX_MAX_BYTES + 10);
    s_expect (big, ZC_TX_MAX_BYTES + 10, ZC_ERR_OVERSIZE, "oversize");
    free (big);

    //  a bad signature
    zc_tx_t *bad = zc_tx_dup (good);
    bad->in [0].sig [5] ^= 1;
    zc_tx_finalize (bad);
    size_t bad_size;
    uint8_t *bad_raw = zc_tx_encode (bad, &bad_size);
    s_expect (bad_raw, bad_size, ZC_ERR_BAD_SIG, "bad_sig");

    //  an input that does not exist
    testchain_coin_t ghost = coins [1];
    memset (ghost.op.txid.b, 0x77, 32);
    zc_tx_t *unknown = testchain_pay (s_params, &ghost, 1000);
    uint8_t *unknown_raw = zc_tx_encode (unknown, &size);
    s_expect (unknown_raw, size, ZC_ERR_UNKNOWN_INPUT, "unknown_input");

    //  a fee under the relay minimum
    zc_tx_t *cheap = testchain_pay (s_params, &coins [1], 10);
    uint8_t *cheap_raw = zc_tx_encode (cheap, &size);
    s_expect (cheap_raw, size, ZC_ERR_FEE_TOO_LOW, "fee_too_low");

    //  the first one is accepted (twice is harmless); a rival spending the
    //  same coin that does not pay for its relay on top of the fee it would
    //  evict is refused; one that does replaces it (replace-by-fee)
    free (raw);
    zc_tx_t *first = testchain_pay (s_params, &coins [0], 1000);
    raw = zc_tx_encode (first, &size);
    assert_int_equal (testchain_submit_tx (s_node, raw, size), ZC_OK);
    assert_true (s_submit_known (raw, size));           //  ok, and says it had it already
    zc_tx_t *rival = testchain_pay (s_params, &coins [0], 1001);
    uint8_t *rival_raw = zc_tx_encode (rival, &size);
    s_expect (rival_raw, size, ZC_ERR_INSUFFICIENT_FEE, "insufficient_fee");
    zc_tx_destroy (&good);
    good = testchain_pay (s_params, &coins [0], 5000);
    uint8_t *good_raw = zc_tx_encode (good, &size);
    assert_int_equal (testchain_submit_tx (s_node, good_raw, size), ZC_OK);
    assert_false (testchain_in_mempool (s_node, &first->txid));
    assert_true (testchain_in_mempool (s_node, &good->txid));
    free (good_raw);
    zc_tx_destroy (&first);
    //  the same payment signed again: the same txid, other signatures, is
    //  answered as such, not as a fresh success
    zc_tx_t *resigned = testchain_pay (s_params, &coins [0], 5000);
    assert_true (zc_hash_eq (&resigned->txid, &good->txid));
    assert_false (zc_hash_eq (&resigned->wtxid, &good->wtxid));
    uint8_t *resigned_raw = zc_tx_encode (resigned, &size);
    s_expect (resigned_raw, size, ZC_ERR_WITNESS_MISMATCH, "witness_mismatch");
    free (resigned_raw);
    zc_tx_destroy (&resigned);

    //  HTTP: the good transaction's txid comes back as text
    zc_tx_t *third = testchain_pay (s_params, &coins [2], 1000);
    uint8_t *third_raw = zc_tx_encode (third, &size);
    char *hex = malloc (2 * size + 1);
    zc_hex_encode (third_raw, size, hex);
    assert_int_equal (s_submit_http (hex, out, sizeof out), 200);
    char txid [65];
    assert_int_equal (strncmp (out, zc_hash_hex (&third->txid, txid), 64), 0);
    free (hex);
    //  unknown endpoints and bad arguments get JSON errors, not crashes
    assert_int_equal (testnode_http (s_node, s_node->http_port, "GET", "/api/nothing", NULL, out, sizeof out), 404);
    assert_int_equal (testnode_http (s_node, s_node->http_port, "GET", "/api/block/zz", NULL, out, sizeof out), 400);
    assert_int_equal (testnode_http (s_node, s_node->http_port, "GET", "/api/address/zcrt1xyz", NULL, out, sizeof out), 400);
    assert_int_equal (testnode_http (s_node, s_node->http_port, "GET", "/api/tip", NULL, out, sizeof out), 200);
    assert_non_null (strstr (out, "\"height\":"));

    //  both confirm in the next blocks
    int64_t h = testnode_height (s_node, NULL);
    assert_true (testnode_wait_height (s_node, h + 2, 30));
    char path [128];
    snprintf (path, sizeof path, "/api/tx/%s", zc_hash_hex (&good->txid, txid));
    assert_int_equal (testnode_http (s_node, s_node->http_port, "GET", path, NULL, out, sizeof out), 200);
    assert_non_null (strstr (out, "\"confirmed\":true"));
    free (raw);
    free (bad_raw);
    free (unknown_raw);
    free (cheap_raw);
    free (rival_raw);
    free (third_raw);
    zc_tx_destroy (&good);
    zc_tx_destroy (&bad);
    zc_tx_destroy (&unknown);
    zc_tx_destroy (&cheap);
    zc_tx_destroy (&rival);
    zc_tx_destroy (&third);
}

static void
s_tip_state (uint8_t *tip, uint64_t *count, uint64_t *total, uint32_t *height)
{
    Zc__GetTip req = ZC__GET_TIP__INIT;
    size_t size;
    const uint8_t *body = testnode_call (s_node, ZC__MSG_TYPE__GET_TIP, &req.base, &size, NULL);
    assert_non_null (body);
    Zc__TipReply *t = zc__tip_reply__unpack (NULL, size, body);
    assert_non_null (t);
    memcpy (tip, t->hash.data, 32);
    *count = t->utxo_count;
    *total = t->total_amount;
    *height = t->height;
    zc__tip_reply__free_unpacked (t, NULL);
}

//  A whole-node restart (no miners, so nothing moves) resumes with the same
//  tip and the same UTXO set
static void
test_restart_same_state (void **state)
{
    (void) state;
    char dir [128];
    snprintf (dir, sizeof dir, "%s", s_node->dir);
    testnode_stop (&s_node, true);
    s_node = testnode_start (dir, "--miners 0 --block-interval 300");
    assert_non_null (s_node);
    uint8_t tip [32], tip2 [32];
    uint64_t count, total, count2, total2;
    uint32_t height, height2;
    s_tip_state (tip, &count, &total, &height);
    testnode_stop (&s_node, true);
    s_node = testnode_start (dir, "--miners 0 --block-interval 300");
    s_tip_state (tip2, &count2, &total2, &height2);
    assert_memory_equal (tip, tip2, 32);
    assert_int_equal (height, height2);
    assert_true (count == count2 && total == total2);
    //  and the balance the CLI reports is what the set says
    char out [512];
    assert_int_equal (testnode_cli (s_node, out, sizeof out, "--json status"), 0);
    assert_non_null (strstr (out, "\"height\":"));
}

//  zchain ping: every api answers a ping; the sidecar's health filtered by
//  instance answers 200 for a live one and 503 for one that does not exist;
//  nothing listening is a failure with a reason
static void
test_liveness (void **state)
{
    (void) state;
    char out [4096];
    const char *apis [] = { "gateway-api", "storage-api", "mempool-api" };
    for (int i = 0; i < 3; i++) {
        assert_int_equal (testnode_cli (s_node, out, sizeof out, "--json ping ipc://%s/run/%s.sock",
                                        s_node->dir, apis [i]), 0);
        assert_non_null (strstr (out, "\"alive\":true"));
    }
    //  a socket nobody serves
    assert_int_equal (testnode_cli (s_node, out, sizeof out, "--json ping --timeout 300 ipc://%s/run/none.sock",
                                    s_node->dir), 1);
    assert_non_null (strstr (out, "no answer"));
    //  every validator pushes snapshots: one with the prefix is alive
    assert_int_equal (testnode_cli (s_node, out, sizeof out,
                                    "ping 'http://127.0.0.1:%d/healthz?instance=validator-'",
                                    s_node->metrics_port), 0);
    assert_int_equal (testnode_cli (s_node, out, sizeof out,
                                    "--json ping 'http://127.0.0.1:%d/healthz?instance=nobody-'",
                                    s_node->metrics_port), 1);
    assert_non_null (strstr (out, "HTTP 503"));
    assert_int_equal (testnode_http (s_node, s_node->metrics_port, "GET",
                                     "/readyz?instance=storage", NULL, out, sizeof out), 200);
    assert_non_null (strstr (out, "\"service\":\"storage\""));
    assert_null (strstr (out, "\"service\":\"mempool\""));
}

//  A SUB to the node's ipc socket NAME ("storage-events") as role (the
//  keys zchain up made), taking only topic
static zsock_t *
s_subscribe (const char *name, zc_role_t role, zc_sock_t sock, const char *topic,
             zc_keys_t **keys_p)
{
    char dir [192], endpoint [256], err [256];
    snprintf (dir, sizeof dir, "%s/keys", s_node->dir);
    *keys_p = zc_keys_load (dir, role, err, sizeof err);
    assert_non_null (*keys_p);
    snprintf (endpoint, sizeof endpoint, "ipc://%s/run/%s.sock", s_node->dir, name);
    zsock_t *sub = zc_zmq_open_auth (ZMQ_SUB, endpoint, false, 1000, *keys_p, sock, err, sizeof err);
    assert_non_null (sub);
    zc_zmq_subscribe_only (sub, topic);
    return sub;
}

//  The next message on sub within wait_ms (a bound, not a timing): 0 and
//  the frames, or -1
static int
s_next (zsock_t *sub, int wait_ms, zc_frames_t *frames)
{
    zpoller_t *poller = zpoller_new (sub, NULL);
    void *which = zpoller_wait (poller, wait_ms);
    zpoller_destroy (&poller);
    return which ? zc_frames_recv (sub, frames, ZMQ_DONTWAIT) : -1;
}

//  Storage's "tip" topic, as a miner takes it: after each block, one event
//  whose height, hash, header, work, next bits, median time and seq are
//  GET_TIP's; its seq that of the chain event; nothing else on the topic
//  (no 8 MB "chain" event comes to a "tip" subscriber)
static void
test_tip_feed (void **state)
{
    (void) state;
    zc_keys_t *keys;
    zsock_t *sub = s_subscribe ("storage-events", ZC_ROLE_MINER, ZC_SOCK_STORAGE_EVENTS, "tip", &keys);
    //  ZeroMQ's slow joiner: mine until the subscription has taken
    zc_frames_t frames;
    bool joined = false;
    for (int i = 0; i < 30 && !joined; i++) {
        assert_int_equal (testchain_mine (s_node, s_params, 10000, NULL, NULL), ZC_OK);
        joined = s_next (sub, 1000, &frames) == 0;
        if (joined)
            zc_frames_close (&frames);
    }
    assert_true (joined);
    while (s_next (sub, 200, &frames) == 0)
        zc_frames_close (&frames);      //  any that were still on their way
    uint64_t last_seq = 0;
    for (int b = 0; b < 5; b++) {
        zc_hash_t mined;
        uint32_t height;
        assert_int_equal (testchain_mine (s_node, s_params, 10000, &mined, &height), ZC_OK);
        assert_int_equal (s_next (sub, 10000, &frames), 0);
        assert_int_equal (frames.count, 2);
        assert_int_equal (zc_frame_size (&frames, 0), 3);
        assert_memory_equal (zc_frame_data (&frames, 0), "tip", 3);
        zc_env_t env;
        assert_int_equal (zc_frames_envelope (&frames, &env), ZC_OK);
        assert_int_equal (env.type, ZC__MSG_TYPE__TIP_EVENT);
        Zc__TipEvent *ev = zc__tip_event__unpack (NULL, env.body_size, env.body);
        assert_non_null (ev);
        assert_int_equal (ev->height, height);
        assert_int_equal (ev->hash.len, 32);
        assert_memory_equal (ev->hash.data, mined.b, 32);
        assert_int_equal (ev->header.len, ZC_HEADER_SIZE);
        zc_hash_t header_hash;
        zc_sha256d (ev->header.data, ZC_HEADER_SIZE, header_hash.b);
        assert_memory_equal (header_hash.b, mined.b, 32);
        if (last_seq)
            assert_int_equal (env.seq, last_seq + 1);
        last_seq = env.seq;
        //  nothing moves without miners: GET_TIP says the same
        Zc__GetTip req = ZC__GET_TIP__INIT;
        size_t size;
        const uint8_t *body = testnode_call (s_node, ZC__MSG_TYPE__GET_TIP, &req.base, &size, NULL);
        assert_non_null (body);
        Zc__TipReply *tip = zc__tip_reply__unpack (NULL, size, body);
        assert_non_null (tip);
        assert_int_equal (tip->height, ev->height);
        assert_memory_equal (tip->hash.data, ev->hash.data, 32);
        assert_memory_equal (tip->header.data, ev->header.data, ZC_HEADER_SIZE);
        assert_int_equal (ev->chain_work.len, 32);
        assert_memory_equal (tip->chain_work.data, ev->chain_work.data, 32);
        assert_int_equal (tip->next_bits, ev->next_bits);
        assert_int_equal (tip->median_time, ev->median_time);
        assert_int_equal (tip->event_seq, env.seq);
        zc__tip_reply__free_unpacked (tip, NULL);
        zc__tip_event__free_unpacked (ev, NULL);
        zc_frames_close (&frames);
    }
    zsock_destroy (&sub);
    zc_keys_destroy (&keys);
}

//  The mempool's "verified" topic, as storage takes it: a batch of one good
//  and one badly signed transaction gives one message holding the good
//  one's wtxid and not the other's, ids only; and a block confirming the
//  good one is not verified again by storage (its skip counter moves, its
//  sent counter does not)
static void
test_verified_feed (void **state)
{
    (void) state;
    zc_keys_t *keys;
    zsock_t *sub = s_subscribe ("mempool-events", ZC_ROLE_STORAGE, ZC_SOCK_MEMPOOL_EVENTS,
                                "verified", &keys);
    testchain_coin_t coins [4];
    assert_int_equal (testchain_coins (s_node, s_params, coins, 4), 4);
    //  ZeroMQ's slow joiner: transactions until the subscription has taken
    zc_frames_t frames;
    bool joined = false;
    for (int i = 0; i < 2 && !joined; i++) {
        zc_tx_t *warm = testchain_pay (s_params, &coins [2 + i], 1000);
        zc_err_t reason;
        assert_int_equal (testchain_submit_txs (s_node->client, &warm, 1, &reason, 10000), ZC_OK);
        assert_int_equal (reason, ZC_OK);
        joined = s_next (sub, 2000, &frames) == 0;
        if (joined)
            zc_frames_close (&frames);
        zc_tx_destroy (&warm);
    }
    assert_true (joined);
    while (s_next (sub, 200, &frames) == 0)
        zc_frames_close (&frames);

    zc_tx_t *txs [2];
    txs [0] = testchain_pay (s_params, &coins [0], 1000);
    txs [1] = testchain_pay (s_params, &coins [1], 1000);
    txs [1]->in [0].sig [7] ^= 1;
    zc_tx_finalize (txs [1]);
    zc_err_t reasons [2];
    assert_int_equal (testchain_submit_txs (s_node->client, txs, 2, reasons, 10000), ZC_OK);
    assert_int_equal (reasons [0], ZC_OK);
    assert_int_equal (reasons [1], ZC_ERR_BAD_SIG);
    assert_int_equal (s_next (sub, 10000, &frames), 0);
    assert_int_equal (zc_frame_size (&frames, 0), 8);
    assert_memory_equal (zc_frame_data (&frames, 0), "verified", 8);
    zc_env_t env;
    assert_int_equal (zc_frames_envelope (&frames, &env), ZC_OK);
    assert_int_equal (env.type, ZC__MSG_TYPE__VERIFIED_TXS);
    Zc__VerifiedTxs *ids = zc__verified_txs__unpack (NULL, env.body_size, env.body);
    assert_non_null (ids);
    assert_int_equal (ids->wtxids.len, 32);
    assert_memory_equal (ids->wtxids.data, txs [0]->wtxid.b, 32);
    zc__verified_txs__free_unpacked (ids, NULL);
    zc_frames_close (&frames);

    //  a block with it: storage takes the mempool's word for its signatures
    //  (a counter not yet moved has no series: -1)
    double skipped = fmax (0, testnode_metric (s_node, "zchain_storage_verify_skipped_total"));
    double sent = fmax (0, testnode_metric (s_node, "zchain_storage_verify_sent_total"));
    zc_block_t *empty = testchain_block (s_node, s_params, 1);
    zc_block_t *block = zc_block_new (2);
    block->header = empty->header;
    block->tx [0] = empty->tx [0];
    empty->tx [0] = NULL;
    block->tx [1] = zc_tx_dup (txs [0]);
    zc_block_finalize (block);
    zc_block_solve (block, s_params->pow_limit_bits);
    assert_int_equal (testchain_submit (s_node, block), ZC_OK);
    assert_true (testchain_wait_confirmed (s_node, 30, &txs [0]->txid));
    double now_skipped = skipped;
    for (int i = 0; i < 100 && now_skipped < skipped + 1; i++) {
        usleep (100000);
        now_skipped = testnode_metric (s_node, "zchain_storage_verify_skipped_total");
    }
    assert_true (now_skipped >= skipped + 1);
    assert_true (fmax (0, testnode_metric (s_node, "zchain_storage_verify_sent_total")) == sent);
    zc_block_destroy (&empty);
    zc_block_destroy (&block);
    zc_tx_destroy (&txs [0]);
    zc_tx_destroy (&txs [1]);
    zsock_destroy (&sub);
    zc_keys_destroy (&keys);
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    //  the gateway's bound on a client's requests in flight, smaller than
    //  its default 64 so that test_bench_requests_bound's flood meets it
    char bound [16];
    snprintf (bound, sizeof bound, "%d", S_CLIENT_IN_FLIGHT);
    setenv ("ZC_CLIENT_IN_FLIGHT", bound, 1);
    s_node = testnode_start (NULL, "--block-interval 300 --validators 2");
    return s_node ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    testnode_stop (&s_node, false);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_thousand_transactions),
        cmocka_unit_test (test_sweep),
        cmocka_unit_test (test_bench_requests_bound),
        cmocka_unit_test (test_reject_reasons),
        cmocka_unit_test (test_liveness),
        cmocka_unit_test (test_restart_same_state),
        cmocka_unit_test (test_tip_feed),
        cmocka_unit_test (test_verified_feed),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
