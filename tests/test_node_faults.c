/*  test_node_faults.c - kill -9 of every service under load, a competing
 *  branch with more work, and four validators sharing the work
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testchain.h"
#include "zc_block.h"
#include "zc_hex.h"
#include "zc_params.h"
#include "zc_time.h"
#include "zc_utxo.h"
#include "envelope.pb-c.h"
#include "events.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const zc_params_t *s_params;
static testnode_t *s_node;     //  the test's node, stopped by the teardown even when it fails

static bool
s_confirmed (testnode_t *node, const char *txid)
{
    char out [8192];
    return testnode_cli (node, out, sizeof out, "--json tx %s", txid) == 0
        && strstr (out, "\"confirmed\":true");
}

//  Kill each service in turn while payments flow: zchain up restarts it,
//  no block is lost, and every payment the node acknowledged confirms
static void
test_kill_each_service (void **state)
{
    (void) state;
    testnode_t *node = s_node = testnode_start (NULL, "--block-interval 300 --validators 2");
    assert_non_null (node);
    assert_true (testnode_wait_height (node, s_params->coinbase_maturity + 12, 300));
    char to [128], out [512];
    assert_int_equal (testnode_cli (node, to, sizeof to, "--wallet %s/other.key wallet new --keyfile", node->dir), 0);
    to [strcspn (to, "\n")] = 0;
    const char *services [] = { "storage", "validator-1", "miner-1", "mempool", "gateway" };
    char txids [64] [65];
    int n_txids = 0;
    for (size_t s = 0; s < sizeof services / sizeof services [0]; s++) {
        for (int k = 0; k < 3 && n_txids < 64; k++)
            if (testnode_cli (node, out, sizeof out, "send %s 0.5", to) == 0 && strlen (out) >= 64) {
                snprintf (txids [n_txids], 65, "%.64s", out);
                n_txids++;
            }
        int64_t height = testnode_height (node, NULL);
        pid_t pid = testnode_pid (node, services [s]);
        assert_true (pid > 0);
        print_message ("kill -9 %s (pid %d) at height %lld\n", services [s], (int) pid, (long long) height);
        assert_int_equal (kill (pid, SIGKILL), 0);
        //  zchain up brings it back
        pid_t again = 0;
        for (int i = 0; i < 200 && (again == 0 || again == pid); i++) {
            usleep (100000);
            again = testnode_pid (node, services [s]);
        }
        assert_true (again > 0 && again != pid);
        //  and the chain goes on from where it was: nothing on disk lost
        assert_true (testnode_wait_height (node, height + 2, 180));
    }
    assert_true (n_txids >= 5);
    for (int i = 0; i < n_txids; i++) {
        bool ok = false;
        for (int tries = 0; tries < 300 && !ok; tries++) {
            ok = s_confirmed (node, txids [i]);
            if (!ok)
                usleep (200000);
        }
        if (!ok)
            fail_msg ("acknowledged transaction %s never confirmed", txids [i]);
    }
    (void) node;
}

// ---------------------------------------------------------------------------
//  mining by hand, through the gateway, for the reorganisation test

static zc_seckey_t s_key;
static uint8_t s_pub [32];

static Zc__TipReply *
s_tip (testnode_t *node)
{
    Zc__GetTip req = ZC__GET_TIP__INIT;
    size_t size;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_TIP, &req.base, &size, NULL);
    assert_non_null (body);
    return zc__tip_reply__unpack (NULL, size, body);
}

static bool
s_tx_confirmed (testnode_t *node, const zc_hash_t *txid, bool *in_mempool)
{
    Zc__GetTx req = ZC__GET_TX__INIT;
    req.txid.data = (uint8_t *) txid->b;
    req.txid.len = 32;
    size_t size;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_TX, &req.base, &size, NULL);
    Zc__TxReply *r = body ? zc__tx_reply__unpack (NULL, size, body) : NULL;
    bool confirmed = r && r->confirmed;
    if (in_mempool)
        *in_mempool = r && !r->confirmed;
    if (r)
        zc__tx_reply__free_unpacked (r, NULL);
    return confirmed;
}

//  Confirmed within a bound? The gateway asks the mempool first, and the
//  mempool drops a transaction when storage's event of its block arrives,
//  a moment after the block's submit has been answered
static bool
s_wait_confirmed (testnode_t *node, const zc_hash_t *txid)
{
    for (int i = 0; i < 200; i++) {
        if (s_tx_confirmed (node, txid, NULL))
            return true;
        usleep (50000);
    }
    return false;
}

//  Replay the best chain from genesis into a fresh UTXO view: the set
//  storage keeps must be exactly that
static void
s_assert_replay_matches (testnode_t *node)
{
    Zc__TipReply *tip = s_tip (node);
    zc_utxo_t *view = zc_utxo_new (NULL, NULL);
    for (uint32_t h = 0; h <= tip->height; h++) {
        Zc__GetBlock req = ZC__GET_BLOCK__INIT;
        req.by_height = true;
        req.height = h;
        size_t size;
        const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_BLOCK, &req.base, &size, NULL);
        assert_non_null (body);
        Zc__BlockReply *r = zc__block_reply__unpack (NULL, size, body);
        zc_block_t *block;
        assert_int_equal (zc_block_decode (r->raw.data, r->raw.len, &block), ZC_OK);
        zc_undo_t *undo;
        assert_int_equal (zc_utxo_connect (view, block, h, s_params, &undo, NULL), ZC_OK);
        zc_undo_destroy (&undo);
        zc_block_destroy (&block);
        zc__block_reply__free_unpacked (r, NULL);
    }
    assert_int_equal (zc_utxo_size (view), tip->utxo_count);
    zc__tip_reply__free_unpacked (tip, NULL);
    zc_utxo_destroy (&view);
}

//  The newest event replayed from storage leaves a subscriber where the live
//  one did: the tip's work, the bits of the next block, the median time
static void
s_assert_event_replay_matches (testnode_t *node)
{
    Zc__TipReply *tip = s_tip (node);
    assert_non_null (tip);
    Zc__GetEvents req = ZC__GET_EVENTS__INIT;
    req.from_seq = tip->event_seq;
    req.max = 1;
    size_t size;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_EVENTS, &req.base, &size, NULL);
    assert_non_null (body);
    Zc__EventsReply *reply = zc__events_reply__unpack (NULL, size, body);
    assert_non_null (reply);
    assert_int_equal (reply->n_events, 1);
    Zc__ChainEvent *ev = zc__chain_event__unpack (NULL, reply->events [0].len, reply->events [0].data);
    assert_non_null (ev);
    assert_int_equal (ev->next_bits, tip->next_bits);
    assert_int_equal (ev->median_time, tip->median_time);
    assert_int_equal (ev->chain_work.len, 32);
    assert_memory_equal (ev->chain_work.data, tip->chain_work.data, 32);
    zc__chain_event__free_unpacked (ev, NULL);
    zc__events_reply__free_unpacked (reply, NULL);
    zc__tip_reply__free_unpacked (tip, NULL);
}

//  A branch with more work replaces the tip; the transaction only the old
//  branch confirmed returns to the mempool and confirms again
static void
test_reorg (void **state)
{
    (void) state;
    testnode_t *node = s_node = testnode_start (NULL, "--miners 0 --validators 1");
    assert_non_null (node);
    zc_seckey_generate (&s_key);
    zc_seckey_pubkey (&s_key, s_pub);
    //  mature one coinbase of ours
    Zc__TipReply *tip = s_tip (node);
    zc_hash_t prev;
    memcpy (prev.b, tip->hash.data, 32);
    uint32_t height = tip->height, time = 1767225600;
    zc__tip_reply__free_unpacked (tip, NULL);
    testchain_mined_t first = { { { 0 } }, 0, 0, { { 0 } } };
    for (uint32_t i = 0; i <= s_params->coinbase_maturity; i++) {
        testchain_mined_t m = testchain_mine_on (node, s_params, s_pub, &prev, height + 1, time, NULL, 0, 0, 100 + i);
        if (i == 0)
            first = m;
        prev = m.hash;
        height = m.height;
        time = m.time;
    }
    //  the mempool follows storage's events: wait until it builds on our tip
    for (int i = 0; i < 300; i++) {
        Zc__GetTemplate treq = ZC__GET_TEMPLATE__INIT;
        size_t tsize;
        const uint8_t *tbody = testnode_call (node, ZC__MSG_TYPE__GET_TEMPLATE, &treq.base, &tsize, NULL);
        Zc__TemplateReply *tpl = tbody ? zc__template_reply__unpack (NULL, tsize, tbody) : NULL;
        bool caught_up = tpl && tpl->height == height + 1;
        if (tpl)
            zc__template_reply__free_unpacked (tpl, NULL);
        if (caught_up)
            break;
        usleep (100000);
    }
    //  T spends it and is confirmed in block A
    zc_tx_t *t = zc_tx_new (1, 1);
    t->in [0].prevout.txid = first.coinbase_txid;
    t->out [0].amount = zc_params_subsidy (s_params, first.height) - 10000;
    memcpy (t->out [0].pubkey, s_pub, 32);
    zc_coin_t coin = { .amount = zc_params_subsidy (s_params, first.height), .height = first.height,
                       .coinbase = true };
    memcpy (coin.pubkey, s_pub, 32);
    assert_int_equal (zc_tx_sign (t, &coin, zc_params_genesis_hash (s_params), &s_key), 0);
    size_t size;
    uint8_t *raw = zc_tx_encode (t, &size);
    Zc__SubmitTxs sub = ZC__SUBMIT_TXS__INIT;
    ProtobufCBinaryData txs [1] = { { size, raw } };
    sub.n_txs = 1;
    sub.txs = txs;
    size_t reply_size;
    const uint8_t *reply = testnode_call (node, ZC__MSG_TYPE__SUBMIT_TXS, &sub.base, &reply_size, NULL);
    assert_non_null (reply);
    Zc__SubmitTxsReply *result = zc__submit_txs_reply__unpack (NULL, reply_size, reply);
    assert_non_null (result);
    if (result->results [0]->reason != 0)
        fail_msg ("T refused: %s", zc_err_name (result->results [0]->reason));
    zc__submit_txs_reply__free_unpacked (result, NULL);
    bool pooled = false;
    for (int i = 0; i < 50 && !pooled; i++) {
        s_tx_confirmed (node, &t->txid, &pooled);
        usleep (50000);
    }
    assert_true (pooled);
    zc_hash_t fork = prev;
    uint32_t fork_height = height, fork_time = time;
    testchain_mined_t a = testchain_mine_template (node, s_params, s_pub, time, 500, &t->txid);
    assert_true (s_wait_confirmed (node, &t->txid));
    (void) a;

    //  a heavier branch from the fork, without T
    testchain_mined_t b1 = testchain_mine_on (node, s_params, s_pub, &fork, fork_height + 1, fork_time, NULL, 0, 0, 900);
    testchain_mined_t b2 = testchain_mine_on (node, s_params, s_pub, &b1.hash, fork_height + 2, b1.time, NULL, 0, 0, 901);
    uint8_t tip_now [32];
    assert_true (testnode_wait_height (node, fork_height + 2, 10));
    testnode_height (node, tip_now);
    assert_memory_equal (tip_now, b2.hash.b, 32);
    assert_false (s_tx_confirmed (node, &t->txid, NULL));
    //  T is back in the mempool ...
    pooled = false;
    for (int i = 0; i < 100 && !pooled; i++) {
        s_tx_confirmed (node, &t->txid, &pooled);
        if (!pooled)
            usleep (50000);
    }
    assert_true (pooled);
    //  ... and confirms again on the new branch
    testchain_mine_template (node, s_params, s_pub, b2.time, 902, &t->txid);
    assert_true (s_wait_confirmed (node, &t->txid));
    s_assert_replay_matches (node);
    s_assert_event_replay_matches (node);
    free (raw);
    zc_tx_destroy (&t);
    (void) node;
}

//  With four validators every one of them does verification work
static void
test_four_validators (void **state)
{
    (void) state;
    testnode_t *node = s_node = testnode_start (NULL, "--block-interval 500 --validators 4");
    assert_non_null (node);
    assert_true (testnode_wait_height (node, s_params->coinbase_maturity + 3, 300));
    char out [8192];
    assert_int_equal (testnode_cli (node, out, sizeof out,
                                    "--json bench --txs 4000 --accounts 20 --batch 250 --timeout 90"), 0);
    //  snapshots reach the sidecar once a second
    sleep (2);
    char *metrics = malloc (1 << 20);
    assert_int_equal (testnode_http (node, node->metrics_port, "GET", "/metrics", NULL, metrics, 1 << 20), 200);
    for (int v = 1; v <= 4; v++) {
        char needle [128];
        snprintf (needle, sizeof needle,
                  "zchain_validator_jobs_total{service=\"validator\",instance=\"validator-%d\"} ", v);
        const char *line = strstr (metrics, needle);
        if (!line)
            fail_msg ("validator-%d reports no work", v);
        double jobs = atof (line + strlen (needle));
        print_message ("validator-%d: %.0f jobs\n", v, jobs);
        assert_true (jobs > 0);
    }
    free (metrics);
    (void) node;
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    return 0;
}

static int
s_stop_node (void **state)
{
    (void) state;
    testnode_stop (&s_node, false);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_teardown (test_reorg, s_stop_node),
        cmocka_unit_test_teardown (test_four_validators, s_stop_node),
        cmocka_unit_test_teardown (test_kill_each_service, s_stop_node),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
