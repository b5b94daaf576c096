/*  test_node_mempool.c - a whole node against chains and fans of unconfirmed
 *  transactions: the package limits hold inside one batch and for what a
 *  peer relays, while the mempool keeps answering and the chain moves on
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testnode.h"
#include "testpeer.h"
#include "testtx.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "p2p.pb-c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const zc_params_t *s_params;
static testnode_t *s_node;     //  the test's node, stopped by the teardown even when it fails

//  A thread that pings the mempool's api every 100 ms while the test runs
typedef struct {
    char endpoint [256];
    atomic_bool stop;
    atomic_int pongs, misses;
    pthread_t thread;
} s_pinger_t;

static void *
s_pinger_run (void *arg)
{
    s_pinger_t *p = arg;
    while (!atomic_load (&p->stop)) {
        if (testtx_ping (p->endpoint, 3000))
            atomic_fetch_add (&p->pongs, 1);
        else
            atomic_fetch_add (&p->misses, 1);
        usleep (100000);
    }
    return NULL;
}

static s_pinger_t *
s_pinger_start (testnode_t *node)
{
    s_pinger_t *p = calloc (1, sizeof *p);
    snprintf (p->endpoint, sizeof p->endpoint, "ipc://%s/run/mempool-api.sock", node->dir);
    pthread_create (&p->thread, NULL, s_pinger_run, p);
    return p;
}

//  Stop it; the mempool must have answered every ping
static void
s_pinger_stop (s_pinger_t **p_p)
{
    s_pinger_t *p = *p_p;
    atomic_store (&p->stop, true);
    pthread_join (p->thread, NULL);
    print_message ("mempool answered %d pings, missed %d\n", atomic_load (&p->pongs),
                   atomic_load (&p->misses));
    int misses = atomic_load (&p->misses), pongs = atomic_load (&p->pongs);
    free (p);
    *p_p = NULL;
    assert_int_equal (misses, 0);
    assert_true (pongs > 0);
}

static testnode_t *
s_mining_node (void)
{
    testnode_t *node = s_node = testnode_start (NULL, "--block-interval 200 --validators 2");
    assert_non_null (node);
    assert_true (testnode_wait_height (node, s_params->coinbase_maturity + 4, 300));
    return node;
}

static void
s_free_txs (zc_tx_t **txs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        zc_tx_destroy (&txs [i]);
}

//  A chain of 300 in one SUBMIT_TXS: exactly the first 25 are accepted, the
//  rest refused too_long_chain before any verification; the block that
//  confirms them frees room for the next 25, three rounds; the mempool
//  answers pings throughout
static void
test_chain_in_one_batch (void **state)
{
    (void) state;
    testnode_t *node = s_mining_node ();
    testtx_coin_t coin;
    assert_int_equal (testtx_wallet_coins (node, s_params, &coin, 1), 1);
    zc_tx_t *chain [300];
    testtx_chain (s_params, &coin, 300, 1000, chain);
    s_pinger_t *pinger = s_pinger_start (node);
    zc_err_t reasons [300];
    assert_int_equal (testtx_submit (node->client, chain, 300, reasons, 30000), ZC_OK);
    for (int i = 0; i < 300; i++)
        if (reasons [i] != (i < 25 ? ZC_OK : ZC_ERR_TOO_LONG_CHAIN))
            fail_msg ("transaction %d of the chain: %s", i, zc_err_name (reasons [i]));
    for (int i = 25; i < 300; i += 25)
        assert_false (testtx_in_mempool (node, &chain [i]->txid));
    //  each block confirms what is there; the next 25 then fit
    for (int round = 1; round <= 3; round++) {
        assert_true (testtx_wait_confirmed (node, 60, &chain [round * 25 - 1]->txid));
        assert_int_equal (testtx_submit (node->client, chain + round * 25, 25, reasons, 30000), ZC_OK);
        for (int i = 0; i < 25; i++)
            if (reasons [i] != ZC_OK)
                fail_msg ("round %d, transaction %d: %s", round, round * 25 + i, zc_err_name (reasons [i]));
        zc_err_t one;
        assert_int_equal (testtx_submit (node->client, chain + round * 25 + 25, 1, &one, 30000), ZC_OK);
        assert_int_equal (one, ZC_ERR_TOO_LONG_CHAIN);
    }
    assert_true (testtx_wait_confirmed (node, 60, &chain [99]->txid));
    s_pinger_stop (&pinger);
    sleep (2);                          //  a snapshot a second reaches the sidecar
    double refused = testtx_metric (node, "zchain_txs_rejected_total", "reason=\"too_long_chain\"");
    print_message ("too_long_chain refusals counted: %.0f\n", refused);
    assert_true (refused >= 278);
    s_free_txs (chain, 300);
}

//  A parent with 100 outputs and 100 children in one SUBMIT_TXS: the parent
//  and 24 children are accepted (25 with the parent), 76 refused
//  too_many_descendants
static void
test_fan_in_one_batch (void **state)
{
    (void) state;
    testnode_t *node = s_mining_node ();
    testtx_coin_t coin, *outputs = NULL;
    assert_int_equal (testtx_wallet_coins (node, s_params, &coin, 1), 1);
    zc_tx_t *txs [101];
    txs [0] = testtx_split (s_params, &coin, 100, 10000, &outputs);
    assert_non_null (txs [0]);
    for (int i = 0; i < 100; i++)
        txs [i + 1] = testtx_split (s_params, &outputs [i], 1, 1000, NULL);
    s_pinger_t *pinger = s_pinger_start (node);
    zc_err_t reasons [101];
    assert_int_equal (testtx_submit (node->client, txs, 101, reasons, 30000), ZC_OK);
    for (int i = 0; i < 101; i++)
        if (reasons [i] != (i < 25 ? ZC_OK : ZC_ERR_TOO_MANY_DESCENDANTS))
            fail_msg ("transaction %d of the fan: %s", i, zc_err_name (reasons [i]));
    //  once the parent confirms, the rest of the fan fits
    assert_true (testtx_wait_confirmed (node, 60, &txs [0]->txid));
    assert_int_equal (testtx_submit (node->client, txs + 25, 76, reasons, 30000), ZC_OK);
    for (int i = 0; i < 76; i++)
        assert_int_equal (reasons [i], ZC_OK);
    assert_true (testtx_wait_confirmed (node, 60, &txs [100]->txid));
    s_pinger_stop (&pinger);
    s_free_txs (txs, 101);
    free (outputs);
}

//  A peer announces a chain of 300 and sends it when asked: the gateway
//  hands it to the mempool as one SUBMIT_TXS, and the same limit holds
static void
test_chain_from_a_peer (void **state)
{
    (void) state;
    testnode_t *node = s_mining_node ();
    testtx_coin_t coin;
    assert_int_equal (testtx_wallet_coins (node, s_params, &coin, 1), 1);
    zc_tx_t *chain [300];
    testtx_chain (s_params, &coin, 300, 1000, chain);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", node->p2p_port);
    zsock_t *peer = testpeer_connect (endpoint);
    assert_non_null (peer);
    assert_int_equal (testpeer_hello (peer, s_params), 0);
    assert_true (testpeer_expect (peer, ZC__MSG_TYPE__P2P_HELLO_ACK, 10000, NULL, NULL));
    Zc__InvItem items [300], *item_ptrs [300];
    for (int i = 0; i < 300; i++) {
        zc__inv_item__init (&items [i]);
        items [i].type = ZC__INV_TYPE__INV_TX;
        items [i].hash.data = chain [i]->txid.b;
        items [i].hash.len = 32;
        item_ptrs [i] = &items [i];
    }
    Zc__Inv inv = ZC__INV__INIT;
    inv.n_items = 300;
    inv.items = item_ptrs;
    s_pinger_t *pinger = s_pinger_start (node);
    assert_int_equal (testpeer_send (peer, ZC__MSG_TYPE__P2P_INV, &inv.base), 0);
    Zc__GetData *asked = NULL;
    assert_true (testpeer_expect (peer, ZC__MSG_TYPE__P2P_GET_DATA, 10000, &zc__get_data__descriptor,
                                  (ProtobufCMessage **) &asked));
    assert_int_equal (asked->n_items, 300);
    zc__get_data__free_unpacked (asked, NULL);
    ProtobufCBinaryData raw [300];
    for (int i = 0; i < 300; i++)
        raw [i].data = zc_tx_encode (chain [i], &raw [i].len);
    Zc__TxData data = ZC__TX_DATA__INIT;
    data.n_txs = 300;
    data.txs = raw;
    assert_int_equal (testpeer_send (peer, ZC__MSG_TYPE__P2P_TX, &data.base), 0);
    //  the first 25 arrive (in the mempool, or confirmed already), no more
    assert_true (testtx_wait_confirmed (node, 60, &chain [24]->txid));
    for (int i = 25; i < 300; i += 25)
        assert_false (testtx_in_mempool (node, &chain [i]->txid));
    sleep (2);
    double refused = testtx_metric (node, "zchain_txs_rejected_total", "reason=\"too_long_chain\"");
    print_message ("too_long_chain refusals counted: %.0f\n", refused);
    assert_true (refused >= 275);
    s_pinger_stop (&pinger);
    for (int i = 0; i < 300; i++)
        free (raw [i].data);
    zsock_destroy (&peer);
    s_free_txs (chain, 300);
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
        cmocka_unit_test_teardown (test_chain_in_one_batch, s_stop_node),
        cmocka_unit_test_teardown (test_fan_in_one_batch, s_stop_node),
        cmocka_unit_test_teardown (test_chain_from_a_peer, s_stop_node),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
