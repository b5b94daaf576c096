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
#include "testchain.h"
#include "store.h"
#include "zc_buf.h"
#include "zc_hex.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"
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
    testnode_t *node;
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
        if (testchain_ping (p->node, p->endpoint, ZC_SOCK_MEMPOOL_API, 3000))
            atomic_fetch_add (&p->pongs, 1);
        else
            atomic_fetch_add (&p->misses, 1);
        usleep (100000);
    }
    return NULL;
}

static s_pinger_t *s_pinger;    //  stopped by the teardown too

static s_pinger_t *
s_pinger_start (testnode_t *node)
{
    s_pinger_t *p = s_pinger = calloc (1, sizeof *p);
    p->node = node;
    snprintf (p->endpoint, sizeof p->endpoint, "ipc://%s/run/mempool-api.sock", node->dir);
    pthread_create (&p->thread, NULL, s_pinger_run, p);
    return p;
}

//  Stop the thread; how many pings were missed (-1: none answered either)
static int
s_pinger_halt (void)
{
    s_pinger_t *p = s_pinger;
    if (!p)
        return 0;
    atomic_store (&p->stop, true);
    pthread_join (p->thread, NULL);
    int misses = atomic_load (&p->misses), pongs = atomic_load (&p->pongs);
    print_message ("mempool answered %d pings, missed %d\n", pongs, misses);
    free (p);
    s_pinger = NULL;
    return pongs ? misses : -1;
}

//  Stop it; the mempool must have answered every ping
static void
s_pinger_stop (s_pinger_t **p_p)
{
    *p_p = NULL;
    assert_int_equal (s_pinger_halt (), 0);
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
    testchain_coin_t coin;
    assert_int_equal (testchain_coins (node, s_params, &coin, 1), 1);
    zc_tx_t *chain [300];
    testchain_chain (s_params, &coin, 300, 1000, chain);
    s_pinger_t *pinger = s_pinger_start (node);
    zc_err_t reasons [300];
    assert_int_equal (testchain_submit_txs (node->client, chain, 300, reasons, 30000), ZC_OK);
    for (int i = 0; i < 300; i++)
        if (reasons [i] != (i < 25 ? ZC_OK : ZC_ERR_TOO_LONG_CHAIN))
            fail_msg ("transaction %d of the chain: %s", i, zc_err_name (reasons [i]));
    for (int i = 25; i < 300; i += 25)
        assert_false (testchain_in_mempool (node, &chain [i]->txid));
    //  each block confirms what is there; the next 25 then fit
    for (int round = 1; round <= 3; round++) {
        assert_true (testchain_wait_confirmed (node, 60, &chain [round * 25 - 1]->txid));
        assert_int_equal (testchain_submit_txs (node->client, chain + round * 25, 25, reasons, 30000), ZC_OK);
        for (int i = 0; i < 25; i++)
            if (reasons [i] != ZC_OK)
                fail_msg ("round %d, transaction %d: %s", round, round * 25 + i, zc_err_name (reasons [i]));
        zc_err_t one;
        assert_int_equal (testchain_submit_txs (node->client, chain + round * 25 + 25, 1, &one, 30000), ZC_OK);
        assert_int_equal (one, ZC_ERR_TOO_LONG_CHAIN);
    }
    assert_true (testchain_wait_confirmed (node, 60, &chain [99]->txid));
    s_pinger_stop (&pinger);
    sleep (2);                          //  a snapshot a second reaches the sidecar
    double refused = testnode_metric (node, "zchain_txs_rejected_total{reason=\"too_long_chain\"}");
    print_message ("too_long_chain refusals counted: %.0f\n", refused);
    assert_true (refused >= 278);
    //  one key spends and is paid all along: each validator lifts it once
    //  and each output's point check after the first is answered from the
    //  mempool's cache
    double lifted = testnode_metric_sum (node, "zchain_validator_keycache_total{result=\"miss\"}"),
           kept = testnode_metric_sum (node, "zchain_validator_keycache_total{result=\"hit\"}"),
           known = testnode_metric_sum (node, "zchain_mempool_keycache_total{result=\"hit\"}");
    print_message ("validators: %.0f keys lifted, %.0f from the cache; mempool: %.0f known points\n",
                   lifted, kept, known);
    assert_true (lifted >= 1 && lifted <= 4);
    assert_true (kept + lifted >= 100);
    assert_true (known >= 299);
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
    testchain_coin_t coin, *outputs = NULL;
    assert_int_equal (testchain_coins (node, s_params, &coin, 1), 1);
    zc_tx_t *txs [101];
    txs [0] = testchain_split (s_params, &coin, 100, 10000, &outputs);
    assert_non_null (txs [0]);
    for (int i = 0; i < 100; i++)
        txs [i + 1] = testchain_split (s_params, &outputs [i], 1, 1000, NULL);
    s_pinger_t *pinger = s_pinger_start (node);
    zc_err_t reasons [101];
    assert_int_equal (testchain_submit_txs (node->client, txs, 101, reasons, 30000), ZC_OK);
    for (int i = 0; i < 101; i++)
        if (reasons [i] != (i < 25 ? ZC_OK : ZC_ERR_TOO_MANY_DESCENDANTS))
            fail_msg ("transaction %d of the fan: %s", i, zc_err_name (reasons [i]));
    //  once the parent confirms, the rest of the fan fits
    assert_true (testchain_wait_confirmed (node, 60, &txs [0]->txid));
    assert_int_equal (testchain_submit_txs (node->client, txs + 25, 76, reasons, 30000), ZC_OK);
    for (int i = 0; i < 76; i++)
        assert_int_equal (reasons [i], ZC_OK);
    assert_true (testchain_wait_confirmed (node, 60, &txs [100]->txid));
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
    testchain_coin_t coin;
    assert_int_equal (testchain_coins (node, s_params, &coin, 1), 1);
    zc_tx_t *chain [300];
    testchain_chain (s_params, &coin, 300, 1000, chain);
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
    assert_true (testchain_wait_confirmed (node, 60, &chain [24]->txid));
    for (int i = 25; i < 300; i += 25)
        assert_false (testchain_in_mempool (node, &chain [i]->txid));
    sleep (2);
    double refused = testnode_metric (node, "zchain_txs_rejected_total{reason=\"too_long_chain\"}");
    print_message ("too_long_chain refusals counted: %.0f\n", refused);
    assert_true (refused >= 275);
    s_pinger_stop (&pinger);
    for (int i = 0; i < 300; i++)
        free (raw [i].data);
    zsock_destroy (&peer);
    s_free_txs (chain, 300);
}


//  Template requests as fast as they come, each after a submission that
//  changes the pool: the pool is sorted at most 5 times a second (and once
//  per new tip), the rest get copies, and the mempool answers throughout
static void
test_template_flood (void **state)
{
    (void) state;
    testnode_t *node = s_mining_node ();
    assert_true (testnode_wait_height (node, s_params->coinbase_maturity + 46, 300));
    testchain_coin_t coins [40];
    assert_int_equal (testchain_coins (node, s_params, coins, 40), 40);
    zc_tx_t *txs [40];
    for (int i = 0; i < 40; i++)
        txs [i] = testchain_split (s_params, &coins [i], 1, 1000, NULL);
    sleep (2);
    double builds = testnode_metric (node, "zchain_mempool_template_builds_total");
    int64_t height = testnode_height (node, NULL), start = zc_mono_ms ();
    s_pinger_t *pinger = s_pinger_start (node);
    int served = 0;
    for (int i = 0; i < 40; i++) {
        zc_err_t reason;
        assert_int_equal (testchain_submit_txs (node->client, &txs [i], 1, &reason, 30000), ZC_OK);
        assert_int_equal (reason, ZC_OK);
        for (int k = 0; k < 5; k++) {
            Zc__GetTemplate req = ZC__GET_TEMPLATE__INIT;
            size_t size;
            served += testnode_call (node, ZC__MSG_TYPE__GET_TEMPLATE, &req.base, &size, NULL) != NULL;
        }
    }
    double seconds = (double) (zc_mono_ms () - start) / 1000.0;
    int64_t blocks = testnode_height (node, NULL) - height;
    s_pinger_stop (&pinger);
    sleep (2);
    double built = testnode_metric (node, "zchain_mempool_template_builds_total") - builds;
    print_message ("%d templates served in %.1f s, %.0f built, %lld new blocks\n", served, seconds,
                   built, (long long) blocks);
    assert_int_equal (served, 200);
    //  the miner asks too, and each new tip builds one more: far below one
    //  build a request
    assert_true (builds >= 0 && built <= 20 + 5 * seconds + 3 * (double) blocks);
    s_free_txs (txs, 40);
}

//  A batch naming outpoints chosen to collide in a fixed hash (their
//  txids' first 16 bytes alike): the mempool reserves them before it asks
//  storage, in a table that grew until the process ran out of memory and
//  aborted; now each is refused unknown_input and the mempool answers on
static void
test_chosen_outpoints (void **state)
{
    (void) state;
    testnode_t *node = s_node = testnode_start (NULL, "--miners 0 --validators 1");
    assert_non_null (node);
    pid_t pid = testnode_pid (node, "mempool");
    s_pinger_t *pinger = s_pinger_start (node);
    zc_tx_t *txs [2000];
    for (uint32_t i = 0; i < 2000; i++) {
        txs [i] = zc_tx_new (1, 1);
        memcpy (txs [i]->in [0].prevout.txid.b + 16, &i, 4);
        txs [i]->out [0].amount = 1000;
        memcpy (txs [i]->out [0].pubkey, zc_params_nums_key, 32);
        zc_tx_finalize (txs [i]);
    }
    zc_err_t reasons [2000];
    assert_int_equal (testchain_submit_txs (node->client, txs, 2000, reasons, 30000), ZC_OK);
    for (int i = 0; i < 2000; i++)
        assert_int_equal (reasons [i], ZC_ERR_UNKNOWN_INPUT);
    s_pinger_stop (&pinger);
    assert_int_equal (testnode_pid (node, "mempool"), pid);
    s_free_txs (txs, 2000);
}

typedef struct {
    size_t rows;
} s_rows_t;

static void
s_count_row (void *arg, const zc_hash_t *txid, uint64_t fee, uint64_t time_ms,
             const uint8_t *raw, size_t size)
{
    (void) txid, (void) fee, (void) time_ms, (void) raw, (void) size;
    ((s_rows_t *) arg)->rows++;
}

static size_t
s_stored_rows (testnode_t *node)
{
    char path [256], err [256];
    snprintf (path, sizeof path, "%s/mempool", node->dir);
    zc_err_t opened;
    store_t *store = store_open (path, &opened, err, sizeof err);
    assert_non_null (store);
    assert_int_equal (opened, ZC_OK);
    s_rows_t count = { 0 };
    store_each (store, s_count_row, &count);
    store_destroy (&store);
    return count.rows;
}

static void
s_store_txs (store_t *store, zc_tx_t *const *txs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t size;
        uint8_t *raw = zc_tx_encode (txs [i], &size);
        store_put (store, &txs [i]->txid, 1000, (uint64_t) zc_now_ms (), raw, size);
        free (raw);
    }
}

//  A row as a store before time-ordered keys wrote it: key the txid alone
static void
s_put_old_row (const char *path, const zc_tx_t *tx)
{
    rocksdb_options_t *options = rocksdb_options_create ();
    char *error = NULL;
    rocksdb_t *db = rocksdb_open (options, path, &error);
    assert_null (error);
    size_t size;
    uint8_t *raw = zc_tx_encode (tx, &size);
    uint8_t *value = malloc (16 + size);
    zc_put_le64 (value, 1000);
    zc_put_le64 (value + 8, (uint64_t) zc_now_ms ());
    memcpy (value + 16, raw, size);
    rocksdb_writeoptions_t *write = rocksdb_writeoptions_create ();
    rocksdb_put (db, write, (const char *) tx->txid.b, 32, (const char *) value, 16 + size, &error);
    assert_null (error);
    free (value);
    free (raw);
    rocksdb_writeoptions_destroy (write);
    rocksdb_close (db);
    rocksdb_options_destroy (options);
}

//  Rows of the store at path keyed the old way (32 bytes)
static size_t
s_old_rows (const char *path)
{
    rocksdb_options_t *options = rocksdb_options_create ();
    char *error = NULL;
    rocksdb_t *db = rocksdb_open (options, path, &error);
    assert_null (error);
    rocksdb_readoptions_t *read = rocksdb_readoptions_create ();
    rocksdb_iterator_t *it = rocksdb_create_iterator (db, read);
    size_t old = 0;
    for (rocksdb_iter_seek_to_first (it); rocksdb_iter_valid (it); rocksdb_iter_next (it)) {
        size_t key_size;
        rocksdb_iter_key (it, &key_size);
        old += key_size == 32;
    }
    rocksdb_iter_destroy (it);
    rocksdb_readoptions_destroy (read);
    rocksdb_close (db);
    rocksdb_options_destroy (options);
    return old;
}

//  The whole mempool log
static char *
s_mempool_log (testnode_t *node)
{
    char path [256];
    snprintf (path, sizeof path, "%s/logs/mempool.log", node->dir);
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char *text = calloc (1, 1 << 22);
    size_t n = fread (text, 1, (1 << 22) - 1, f);
    text [n] = 0;
    fclose (f);
    return text;
}

//  Stored transactions come back after a restart through the checks, in
//  an order of any depth: of a chain of 100 the first 25 stay and 75 are
//  dropped too_long_chain; of a fan of 30 children 24 stay; an undecodable
//  row and a transaction spending nothing that exists are dropped. Each
//  one dropped is logged with its txid and reason, counted, and deleted
//  from the store; a summary line says it all
static void
test_restart_takes_back (void **state)
{
    (void) state;
    testnode_t *node = s_mining_node ();
    testchain_coin_t coins [3], *outputs = NULL;
    assert_int_equal (testchain_coins (node, s_params, coins, 3), 3);
    char dir [128];
    snprintf (dir, sizeof dir, "%s", node->dir);
    testnode_stop (&s_node, true);
    //  what a mempool could have left behind, written while the node is down
    zc_tx_t *chain [100], *fan [31], *orphan;
    testchain_chain (s_params, &coins [0], 100, 1000, chain);
    fan [0] = testchain_split (s_params, &coins [1], 30, 10000, &outputs);
    for (int i = 0; i < 30; i++)
        fan [i + 1] = testchain_split (s_params, &outputs [i], 1, 1000, NULL);
    testchain_coin_t nothing = coins [0];
    memset (nothing.op.txid.b, 0x5a, 32);
    orphan = testchain_split (s_params, &nothing, 1, 1000, NULL);
    char path [256], err [256];
    snprintf (path, sizeof path, "%s/mempool", dir);
    zc_err_t opened;
    store_t *store = store_open (path, &opened, err, sizeof err);
    assert_non_null (store);
    assert_int_equal (opened, ZC_OK);
    s_store_txs (store, chain, 100);
    s_store_txs (store, fan, 31);
    s_store_txs (store, &orphan, 1);
    zc_hash_t garbage;
    memset (garbage.b, 0xee, 32);
    store_put (store, &garbage, 1000, 1, (const uint8_t *) "not a transaction", 17);
    assert_int_equal (store_flush (store), ZC_OK);
    store_destroy (&store);
    //  and a row as an older store wrote it, keyed by the txid alone
    zc_tx_t *old_row = testchain_pay (s_params, &coins [2], 1000);
    s_put_old_row (path, old_row);

    node = s_node = testnode_start (dir, "--miners 0 --validators 2");
    assert_non_null (node);
    const char *summary = "reload: took back 134, kept 51, dropped 83 (malformed 1, unknown_input 1, "
                          "too_long_chain 75, too_many_descendants 6)";
    char *log = NULL;
    for (int i = 0; i < 300; i++) {
        free (log);
        log = s_mempool_log (node);
        if (strstr (log, "reload: took back"))
            break;
        usleep (100000);
    }
    const char *line = strstr (log, "reload: took back");
    if (!line)
        fail_msg ("no reload summary in the mempool log");
    if (strncmp (line, summary, strlen (summary)))
        fail_msg ("reload summary: %.200s", line);
    //  every one dropped named with its reason
    char needle [160], hex [65];
    for (int i = 25; i < 100; i++) {
        zc_hex_encode (chain [i]->txid.b, 32, hex);
        snprintf (needle, sizeof needle, "reload: dropped %s: too_long_chain", hex);
        if (!strstr (log, needle))
            fail_msg ("chain transaction %d was not logged as dropped", i);
    }
    //  which children of the fan stay depends on the stored order (by txid)
    int fan_dropped = 0, fan_kept = 0;
    for (int i = 1; i < 31; i++) {
        zc_hex_encode (fan [i]->txid.b, 32, hex);
        snprintf (needle, sizeof needle, "reload: dropped %s: too_many_descendants", hex);
        fan_dropped += strstr (log, needle) != NULL;
        fan_kept += testchain_in_mempool (node, &fan [i]->txid);
    }
    assert_int_equal (fan_dropped, 6);
    assert_int_equal (fan_kept, 24);
    zc_hex_encode (orphan->txid.b, 32, hex);
    snprintf (needle, sizeof needle, "reload: dropped %s: unknown_input", hex);
    assert_non_null (strstr (log, needle));
    zc_hex_encode (garbage.b, 32, hex);
    snprintf (needle, sizeof needle, "reload: dropped %s: malformed", hex);
    assert_non_null (strstr (log, needle));
    free (log);
    assert_int_equal (testchain_mempool_count (node), 51);
    assert_true (testchain_in_mempool (node, &old_row->txid));
    assert_true (testchain_in_mempool (node, &chain [24]->txid));
    assert_true (testchain_in_mempool (node, &fan [0]->txid));
    sleep (2);
    assert_true (testnode_metric (node, "zchain_mempool_reload_dropped_total{reason=\"too_long_chain\"}") == 75);
    assert_true (testnode_metric (node, "zchain_mempool_reload_dropped_total{reason=\"malformed\"}") == 1);
    //  and the dropped ones are gone from the store
    testnode_stop (&s_node, true);
    s_node = calloc (1, sizeof *s_node);           //  for the teardown to remove the directory
    snprintf (s_node->dir, sizeof s_node->dir, "%s", dir);
    assert_int_equal (s_stored_rows (s_node), 51);
    assert_int_equal (s_old_rows (path), 0);        //  the old row moved to the new key
    zc_tx_destroy (&old_row);
    s_free_txs (chain, 100);
    s_free_txs (fan, 31);
    zc_tx_destroy (&orphan);
    free (outputs);
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
    s_pinger_halt ();
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
        cmocka_unit_test_teardown (test_restart_takes_back, s_stop_node),
        cmocka_unit_test_teardown (test_template_flood, s_stop_node),
        cmocka_unit_test_teardown (test_chosen_outpoints, s_stop_node),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
