/*  test_storage_chain.c - storage's chain over a real RocksDB in a temporary
 *  directory: connect, spend, reorganise, reject, restart
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "chain.h"
#include "zc_check.h"
#include "zc_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const zc_params_t *s_params;
static char s_dir [256];
static zc_seckey_t s_key;
static uint8_t s_pub [32];

//  A block on parent with a coinbase to s_pub (extranonce tells branches
//  apart) and the given transactions; mined and encoded
static uint8_t *
s_make_block (chain_t *chain, const chain_node_t *parent, uint64_t extranonce,
              zc_tx_t **txs, uint32_t n, uint64_t fees, size_t *size_p, zc_hash_t *hash)
{
    zc_block_t *block = zc_block_new (n + 1);
    uint32_t height = parent->height + 1;
    block->tx [0] = zc_coinbase_new (height, extranonce, zc_params_subsidy (s_params, height) + fees,
                                     s_pub);
    for (uint32_t i = 0; i < n; i++)
        block->tx [i + 1] = zc_tx_dup (txs [i]);
    block->header.prev = parent->hash;
    block->header.time = chain_median_time (parent) + 1;
    block->header.bits = chain_next_bits (chain, parent);
    zc_block_finalize (block);
    zc_block_solve (block, s_params->pow_limit_bits);
    uint8_t *raw = zc_block_encode (block, size_p);
    *hash = block->hash;
    zc_block_destroy (&block);
    return raw;
}

//  Move to the best chain, committing every step; returns how many
static int
s_run_steps (chain_t *chain, chain_event_t *events, int max)
{
    int n = 0;
    while (chain_wants_step (chain)) {
        chain_step_t step;
        zc_err_t rc = chain_step_begin (chain, &step);
        if (rc != ZC_OK)
            continue;                   //  marked invalid; the best moved
        chain_event_t ev;
        assert_int_equal (chain_step_commit (chain, &step, &ev), 0);
        if (n < max)
            events [n] = ev;
        n++;
    }
    return n;
}

static chain_node_t *
s_mine (chain_t *chain, chain_node_t *parent, uint64_t extranonce)
{
    size_t size;
    zc_hash_t hash;
    uint8_t *raw = s_make_block (chain, parent, extranonce, NULL, 0, 0, &size, &hash);
    chain_node_t *node;
    assert_int_equal (chain_accept (chain, raw, size, 1900000000, &node), ZC_OK);
    free (raw);
    return node;
}

//  Usage: open, accept a block, step, query
static void
test_usage (void **state)
{
    (void) state;
    char err [256];
    chain_t *chain = chain_open (s_dir, s_params, false, err, sizeof err);
    assert_non_null (chain);
    assert_int_equal (chain_tip (chain)->height, 0);
    assert_true (zc_hash_eq (&chain_tip (chain)->hash, zc_params_genesis_hash (s_params)));

    chain_node_t *one = s_mine (chain, chain_tip (chain), 1);
    assert_true (chain_wants_step (chain));
    chain_event_t ev [4];
    assert_int_equal (s_run_steps (chain, ev, 4), 1);
    assert_int_equal (ev [0].type, CHAIN_EVENT_CONNECTED);
    assert_int_equal (ev [0].height, 1);
    assert_ptr_equal (chain_tip (chain), one);
    assert_ptr_equal (chain_at (chain, 1), one);

    uint64_t count, total;
    chain_utxo_stats (chain, &count, &total);
    assert_int_equal (count, 2);                        //  genesis and block 1
    assert_true (total == zc_params_subsidy (s_params, 1));

    //  the same block again is harmless
    size_t size;
    uint8_t *raw;
    assert_int_equal (chain_get_block (chain, &one->hash, &raw, &size), 1);
    assert_int_equal (chain_accept (chain, raw, size, 1900000000, NULL), ZC_ERR_DUPLICATE);
    free (raw);
    chain_destroy (&chain);
}

static void
s_sum_visit (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    (void) op;
    *(uint64_t *) arg += coin->amount;
}

//  Spend a matured coinbase; the indexes follow
static void
test_spend_and_indexes (void **state)
{
    (void) state;
    char err [256];
    chain_t *chain = chain_open (s_dir, s_params, false, err, sizeof err);
    chain_event_t ev [64];
    chain_node_t *first = chain_at (chain, 1);
    while (chain_tip (chain)->height < 1 + s_params->coinbase_maturity) {
        s_mine (chain, chain_tip (chain), 100 + chain_tip (chain)->height);
        s_run_steps (chain, ev, 64);
    }
    //  block 1's coinbase output
    uint8_t *raw;
    size_t size;
    assert_int_equal (chain_get_block (chain, &first->hash, &raw, &size), 1);
    zc_block_t *b1;
    assert_int_equal (zc_block_decode (raw, size, &b1), ZC_OK);
    free (raw);
    zc_outpoint_t op = { b1->tx [0]->txid, 0 };
    zc_coin_t coin;
    uint8_t found;
    assert_int_equal (chain_get_coins (chain, &op, 1, &coin, &found), 0);
    assert_int_equal (found, 1);
    assert_true (coin.coinbase);

    zc_tx_t *tx = zc_tx_new (1, 2);
    tx->in [0].prevout = op;
    tx->out [0].amount = coin.amount / 2;
    memcpy (tx->out [0].pubkey, zc_params_nums_key, 32);
    tx->out [1].amount = coin.amount - coin.amount / 2 - 1000;
    memcpy (tx->out [1].pubkey, s_pub, 32);
    assert_int_equal (zc_tx_sign (tx, &coin, zc_params_genesis_hash (s_params), &s_key), 0);
    zc_hash_t hash;
    raw = s_make_block (chain, chain_tip (chain), 7, &tx, 1, 1000, &size, &hash);
    assert_int_equal (chain_accept (chain, raw, size, 1900000000, NULL), ZC_OK);
    free (raw);
    assert_int_equal (s_run_steps (chain, ev, 64), 1);

    assert_int_equal (chain_get_coins (chain, &op, 1, &coin, &found), 0);
    assert_int_equal (found, 0);                        //  spent
    zc_hash_t where;
    uint32_t position;
    assert_int_equal (chain_find_tx (chain, &tx->txid, &where, &position), 1);
    assert_true (zc_hash_eq (&where, &hash));
    assert_int_equal (position, 1);
    //  the address index: the NUMS key owns genesis's 0 and the new output
    uint64_t sum = 0;
    assert_int_equal (chain_address_coins (chain, zc_params_nums_key, 0, s_sum_visit, &sum), 2);
    assert_true (sum == coin.amount / 2);
    zc_tx_destroy (&tx);
    zc_block_destroy (&b1);
    chain_destroy (&chain);
}

//  Two branches from the same parent: the one with more work wins, with
//  each disconnect and connect recorded in order; the UTXO set follows
static void
test_reorg (void **state)
{
    (void) state;
    char err [256];
    chain_t *chain = chain_open (s_dir, s_params, false, err, sizeof err);
    chain_event_t ev [16];
    chain_node_t *fork = chain_tip (chain);
    uint64_t count0, total0;
    chain_utxo_stats (chain, &count0, &total0);

    chain_node_t *a1 = s_mine (chain, fork, 1001);
    chain_node_t *a2 = s_mine (chain, a1, 1002);
    assert_int_equal (s_run_steps (chain, ev, 16), 2);
    assert_ptr_equal (chain_tip (chain), a2);
    uint64_t seq_before = chain_event_seq (chain);

    chain_node_t *b1 = s_mine (chain, fork, 2001);
    chain_node_t *b2 = s_mine (chain, b1, 2002);
    assert_false (chain_wants_step (chain));           //  equal work: first seen stays
    chain_node_t *b3 = s_mine (chain, b2, 2003);
    assert_true (chain_wants_step (chain));
    assert_int_equal (s_run_steps (chain, ev, 16), 5);
    assert_int_equal (ev [0].type, CHAIN_EVENT_DISCONNECTED);
    assert_true (zc_hash_eq (&ev [0].hash, &a2->hash));
    assert_int_equal (ev [1].type, CHAIN_EVENT_DISCONNECTED);
    assert_true (zc_hash_eq (&ev [1].hash, &a1->hash));
    assert_int_equal (ev [2].type, CHAIN_EVENT_CONNECTED);
    assert_true (zc_hash_eq (&ev [2].hash, &b1->hash));
    assert_true (zc_hash_eq (&ev [4].hash, &b3->hash));
    for (int i = 0; i < 5; i++)
        assert_true (ev [i].seq == seq_before + 1 + (uint64_t) i);
    assert_ptr_equal (chain_tip (chain), b3);
    assert_ptr_equal (chain_at (chain, fork->height + 1), b1);

    //  three coinbases more than at the fork, none of branch a
    uint64_t count, total;
    chain_utxo_stats (chain, &count, &total);
    assert_true (count == count0 + 3);
    chain_event_t stored;
    assert_int_equal (chain_get_event (chain, seq_before + 1, &stored), 1);
    assert_int_equal (stored.type, CHAIN_EVENT_DISCONNECTED);
    chain_destroy (&chain);
}

//  A heavier branch with a block that spends nothing that exists: the
//  block and its descendants are invalid, the node returns to the best
//  valid branch, and children of the bad block are refused
static void
test_invalid_branch (void **state)
{
    (void) state;
    char err [256];
    chain_t *chain = chain_open (s_dir, s_params, false, err, sizeof err);
    chain_event_t ev [16];
    chain_node_t *tip = chain_tip (chain);
    chain_node_t *fork = tip->prev;

    zc_tx_t *bogus = zc_tx_new (1, 1);
    memset (bogus->in [0].prevout.txid.b, 0x66, 32);
    bogus->out [0].amount = 1;
    zc_tx_finalize (bogus);
    chain_node_t *c1 = s_mine (chain, fork, 3001);
    size_t size;
    zc_hash_t hash;
    uint8_t *raw = s_make_block (chain, c1, 3002, &bogus, 1, 0, &size, &hash);
    chain_node_t *c2;
    assert_int_equal (chain_accept (chain, raw, size, 1900000000, &c2), ZC_OK);
    free (raw);
    chain_node_t *c3 = s_mine (chain, c2, 3003);
    (void) c3;
    s_run_steps (chain, ev, 16);
    assert_ptr_equal (chain_tip (chain), tip);          //  back where it was
    assert_true (c2->status & CHAIN_INVALID);
    assert_true (c3->status & CHAIN_INVALID);
    assert_false (c1->status & CHAIN_INVALID);
    raw = s_make_block (chain, c3, 3004, NULL, 0, 0, &size, &hash);
    assert_int_equal (chain_accept (chain, raw, size, 1900000000, NULL), ZC_ERR_INVALID_CHAIN);
    free (raw);

    //  a block whose signatures a validator rejects: chain_step_fail
    chain_node_t *d1 = s_mine (chain, chain_tip (chain), 4001);
    chain_step_t step;
    assert_int_equal (chain_step_begin (chain, &step), ZC_OK);
    assert_ptr_equal (step.node, d1);
    chain_step_fail (chain, &step, ZC_ERR_BAD_SIG);
    assert_true (d1->status & CHAIN_INVALID);
    assert_false (chain_wants_step (chain));
    zc_tx_destroy (&bogus);
    chain_destroy (&chain);
}

//  Header-level rejects never touch the store
static void
test_rejects (void **state)
{
    (void) state;
    char err [256];
    chain_t *chain = chain_open (s_dir, s_params, false, err, sizeof err);
    size_t size;
    zc_hash_t hash;
    uint8_t *raw = s_make_block (chain, chain_tip (chain), 5001, NULL, 0, 0, &size, &hash);
    assert_int_equal (chain_accept (chain, raw, size - 1, 1900000000, NULL), ZC_ERR_MALFORMED);
    raw [5] ^= 1;                                       //  unknown parent (and pow)
    zc_err_t rc = chain_accept (chain, raw, size, 1900000000, NULL);
    assert_true (rc == ZC_ERR_ORPHAN || rc == ZC_ERR_BAD_POW);
    raw [5] ^= 1;
    //  a clock three hours behind sees it too far in the future
    assert_int_equal (chain_accept (chain, raw, size, 1767225600 - 3 * 3600, NULL), ZC_ERR_BAD_TIME);
    assert_null (chain_lookup (chain, &hash));
    free (raw);
    chain_destroy (&chain);
}

//  Close and reopen: same tip, same set, same event sequence; a wrong
//  network refuses the directory
static void
test_restart (void **state)
{
    (void) state;
    char err [256];
    chain_t *chain = chain_open (s_dir, s_params, true, err, sizeof err);
    zc_hash_t tip = chain_tip (chain)->hash;
    uint32_t height = chain_tip (chain)->height;
    uint64_t seq = chain_event_seq (chain), count, total;
    chain_utxo_stats (chain, &count, &total);
    chain_destroy (&chain);

    chain = chain_open (s_dir, s_params, true, err, sizeof err);
    assert_non_null (chain);
    assert_true (zc_hash_eq (&chain_tip (chain)->hash, &tip));
    assert_int_equal (chain_tip (chain)->height, height);
    assert_true (chain_event_seq (chain) == seq);
    uint64_t count2, total2;
    chain_utxo_stats (chain, &count2, &total2);
    assert_true (count2 == count && total2 == total);
    assert_false (chain_wants_step (chain));
    chain_destroy (&chain);

    chain = chain_open (s_dir, zc_params_get (ZC_NET_DEVNET), true, err, sizeof err);
    assert_null (chain);
    assert_non_null (strstr (err, "another network"));
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    snprintf (s_dir, sizeof s_dir, "/tmp/zc-chain-XXXXXX");
    if (!mkdtemp (s_dir))
        return -1;
    zc_seckey_generate (&s_key);
    zc_seckey_pubkey (&s_key, s_pub);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    char cmd [300];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system (cmd) == 0 ? 0 : -1;
}

int
main (void)
{
    //  the tests run in order over one store, each building on the last
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_spend_and_indexes),
        cmocka_unit_test (test_reorg),
        cmocka_unit_test (test_invalid_branch),
        cmocka_unit_test (test_rejects),
        cmocka_unit_test (test_restart),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
