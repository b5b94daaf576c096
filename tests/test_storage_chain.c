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

#include <inttypes.h>
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

// ---------------------------------------------------------------------------
//  The coin cache: the set storage answers from is a replay's, whatever the
//  cache holds, across connects, reorganisations and a failed block

#define CACHE_BLOCKS 16

typedef struct {
    zc_hash_t hashes [CACHE_BLOCKS];    //  every block the test made
    size_t n;
} s_made_t;

//  Spend coin (of s_key) into n outputs to s_pub, paying fee
static zc_tx_t *
s_split (const zc_outpoint_t *op, const zc_coin_t *coin, uint32_t n, uint64_t fee)
{
    zc_tx_t *tx = zc_tx_new (1, n);
    tx->in [0].prevout = *op;
    for (uint32_t o = 0; o < n; o++) {
        tx->out [o].amount = (coin->amount - fee) / n;
        memcpy (tx->out [o].pubkey, s_pub, 32);
    }
    tx->out [0].amount += (coin->amount - fee) % n;
    assert_int_equal (zc_tx_sign (tx, coin, zc_params_genesis_hash (s_params), &s_key), 0);
    return tx;
}

//  A block on parent holding txs, accepted; remembered in made
static chain_node_t *
s_mine_txs (chain_t *chain, chain_node_t *parent, uint64_t extranonce, zc_tx_t **txs, uint32_t n,
            uint64_t fees, s_made_t *made)
{
    size_t size;
    zc_hash_t hash;
    uint8_t *raw = s_make_block (chain, parent, extranonce, txs, n, fees, &size, &hash);
    chain_node_t *node;
    assert_int_equal (chain_accept (chain, raw, size, 1900000000, &node), ZC_OK);
    free (raw);
    assert_true (made->n < CACHE_BLOCKS);
    made->hashes [made->n++] = hash;
    return node;
}

static zc_block_t *
s_stored (chain_t *chain, const zc_hash_t *hash)
{
    uint8_t *raw;
    size_t size;
    zc_block_t *block;
    assert_int_equal (chain_get_block (chain, hash, &raw, &size), 1);
    assert_int_equal (zc_block_decode (raw, size, &block), ZC_OK);
    free (raw);
    return block;
}

//  Every output of every block made, as chain_get_coins answers, against
//  a replay of the best chain from genesis in a view of its own
typedef struct {
    zc_utxo_t *replay;
    uint64_t count, total;
} s_tally_t;

//  The replay's unspent coins of s_pub
static void
s_tally_replay (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    (void) op;
    s_tally_t *t = arg;
    if (coin && memcmp (coin->pubkey, s_pub, 32) == 0) {
        t->count++;
        t->total += coin->amount;
    }
}

//  The address index's coins of s_pub, each one the replay holds unspent
static void
s_tally_index (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    s_tally_t *t = arg;
    zc_coin_t want;
    assert_int_equal (zc_utxo_get (t->replay, op, &want), 1);
    assert_true (want.amount == coin->amount && want.height == coin->height);
    t->count++;
    t->total += coin->amount;
}

static void
s_expect_replay (chain_t *chain, const s_made_t *made)
{
    zc_utxo_t *replay = zc_utxo_new (NULL, NULL);
    for (uint32_t h = 0; h <= chain_tip (chain)->height; h++) {
        zc_block_t *block = s_stored (chain, &chain_at (chain, h)->hash);
        zc_undo_t *undo;
        assert_int_equal (zc_utxo_connect (replay, block, h, s_params, &undo, NULL), ZC_OK);
        zc_undo_destroy (&undo);
        zc_block_destroy (&block);
    }
    size_t unspent = 0;
    for (size_t k = 0; k < made->n; k++) {
        zc_block_t *block = s_stored (chain, &made->hashes [k]);
        for (uint32_t t = 0; t < block->n_tx; t++)
            for (uint32_t o = 0; o < block->tx [t]->n_out; o++) {
                zc_outpoint_t op = { block->tx [t]->txid, o };
                zc_coin_t got, want;
                uint8_t found;
                assert_int_equal (chain_get_coins (chain, &op, 1, &got, &found), 0);
                int expected = zc_utxo_get (replay, &op, &want);
                assert_int_equal (found, expected == 1);
                if (found) {
                    assert_memory_equal (&got.pubkey, &want.pubkey, 32);
                    assert_true (got.amount == want.amount && got.height == want.height);
                    unspent++;
                }
            }
        zc_block_destroy (&block);
    }
    assert_true (unspent > 0);
    uint64_t count, total;
    chain_utxo_stats (chain, &count, &total);
    assert_true (count == zc_utxo_size (replay));
    //  the address index holds exactly the replay's coins of s_pub
    s_tally_t want = { replay, 0, 0 }, got = { replay, 0, 0 };
    zc_utxo_each_dirty (replay, s_tally_replay, &want);
    assert_true (chain_address_coins (chain, s_pub, 0, s_tally_index, &got) >= 0);
    assert_true (want.count > 0);
    assert_true (got.count == want.count && got.total == want.total);
    zc_utxo_destroy (&replay);
}

//  Branch a spends a coinbase into 900 outputs and some of those again;
//  branch b, heavier, spends the same coinbase otherwise; then a again,
//  heavier still, with a block whose signature "fails" on the way. With
//  cache_bytes too small for the coins (most look-ups go to RocksDB) and
//  large enough for all of them, the answers are a replay's every time.
static void
s_cache_scenario (size_t cache_bytes, uint64_t tag)
{
    char err [256];
    chain_t *chain = chain_open (s_dir, s_params, false, err, sizeof err);
    assert_non_null (chain);
    chain_set_cache (chain, cache_bytes);
    chain_event_t ev [64];
    s_made_t made = { .n = 0 };
    //  a coinbase of s_pub, matured
    chain_node_t *paid = s_mine_txs (chain, chain_tip (chain), tag, NULL, 0, 0, &made);
    while (chain_tip (chain)->height < paid->height + s_params->coinbase_maturity) {
        s_mine (chain, chain_tip (chain), tag + 100 + chain_tip (chain)->height);
        s_run_steps (chain, ev, 64);
    }
    zc_block_t *pb = s_stored (chain, &paid->hash);
    zc_outpoint_t cb = { pb->tx [0]->txid, 0 };
    zc_coin_t cb_coin;
    uint8_t found;
    assert_int_equal (chain_get_coins (chain, &cb, 1, &cb_coin, &found), 0);
    assert_int_equal (found, 1);
    zc_block_destroy (&pb);
    chain_node_t *fork = chain_tip (chain);

    //  branch a: the fan, then five of its outputs spent, and an output of
    //  the first of those spent in the same block
    zc_tx_t *fan = s_split (&cb, &cb_coin, 900, 1000);
    chain_node_t *a1 = s_mine_txs (chain, fork, tag + 1, &fan, 1, 1000, &made);
    zc_tx_t *spends [6];
    for (uint32_t i = 0; i < 5; i++) {
        zc_outpoint_t op = { fan->txid, i };
        zc_coin_t coin = { .amount = fan->out [i].amount, .height = a1->height };
        memcpy (coin.pubkey, s_pub, 32);
        spends [i] = s_split (&op, &coin, 2, 100);
    }
    zc_outpoint_t child_op = { spends [0]->txid, 0 };
    zc_coin_t child_coin = { .amount = spends [0]->out [0].amount, .height = a1->height + 1 };
    memcpy (child_coin.pubkey, s_pub, 32);
    spends [5] = s_split (&child_op, &child_coin, 2, 100);
    chain_node_t *a2 = s_mine_txs (chain, a1, tag + 2, spends, 6, 600, &made);
    s_run_steps (chain, ev, 64);
    assert_ptr_equal (chain_tip (chain), a2);
    s_expect_replay (chain, &made);

    //  branch b: the same coinbase into two outputs, two blocks more
    zc_tx_t *other = s_split (&cb, &cb_coin, 2, 2000);
    chain_node_t *b1 = s_mine_txs (chain, fork, tag + 11, &other, 1, 2000, &made);
    chain_node_t *b2 = s_mine_txs (chain, b1, tag + 12, NULL, 0, 0, &made);
    chain_node_t *b3 = s_mine_txs (chain, b2, tag + 13, NULL, 0, 0, &made);
    s_run_steps (chain, ev, 64);
    assert_ptr_equal (chain_tip (chain), b3);
    s_expect_replay (chain, &made);

    //  back to a, heavier: a3's signatures "fail" (as a validator would
    //  say), so the node stays on b; then a3' and more connect
    chain_node_t *a3 = s_mine_txs (chain, a2, tag + 3, NULL, 0, 0, &made);
    chain_node_t *a4 = s_mine_txs (chain, a3, tag + 4, NULL, 0, 0, &made);
    (void) a4;
    for (int i = 0; i < 64 && chain_wants_step (chain); i++) {
        chain_step_t step;
        if (chain_step_begin (chain, &step) != ZC_OK)
            continue;
        if (step.node == a3)
            chain_step_fail (chain, &step, ZC_ERR_BAD_SIG);
        else
            assert_int_equal (chain_step_commit (chain, &step, NULL), 0);
    }
    assert_ptr_equal (chain_tip (chain), b3);
    s_expect_replay (chain, &made);
    chain_node_t *a3b = s_mine_txs (chain, a2, tag + 5, NULL, 0, 0, &made);
    chain_node_t *a4b = s_mine_txs (chain, a3b, tag + 6, NULL, 0, 0, &made);
    chain_node_t *a5b = s_mine_txs (chain, a4b, tag + 7, NULL, 0, 0, &made);
    s_run_steps (chain, ev, 64);
    assert_ptr_equal (chain_tip (chain), a5b);
    s_expect_replay (chain, &made);

    chain_cache_stats_t stats;
    chain_cache_stats (chain, &stats);
    print_message ("cache of %zu bytes: holds %" PRIu64 " bytes, %" PRIu64 " coins; %" PRIu64
                   " hits, %" PRIu64 " misses\n", cache_bytes, stats.bytes, stats.coins,
                   stats.hits, stats.misses);
    assert_true (stats.hits > 0 && stats.misses > 0);
    //  the bound holds (a table never smaller than its first 1024 slots)
    assert_true (stats.bytes <= (cache_bytes > 256 * 1024 ? cache_bytes : 256 * 1024));
    zc_tx_destroy (&fan);
    zc_tx_destroy (&other);
    for (uint32_t i = 0; i < 6; i++)
        zc_tx_destroy (&spends [i]);
    chain_destroy (&chain);
}

static void
test_cache_small (void **state)
{
    (void) state;
    s_cache_scenario (1, 10000);
}

static void
test_cache_large (void **state)
{
    (void) state;
    s_cache_scenario (CHAIN_CACHE_DEFAULT, 20000);
}

typedef struct {
    zc_outpoint_t op;
    zc_coin_t coin;
    uint32_t before;                    //  mature at a block of this height or above
    bool found;
} s_pick_t;

static void
s_pick_visit (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    s_pick_t *p = arg;
    if (!p->found && zc_coin_mature (coin, p->before, s_params->coinbase_maturity)) {
        p->op = *op;
        p->coin = *coin;
        p->found = true;
    }
}

//  Is txid in pubkey's history at height? And the whole list newest first
static bool
s_in_history (chain_t *chain, const uint8_t *pubkey, const zc_hash_t *txid, uint32_t height)
{
    zc_hash_t txids [25];
    uint32_t heights [25];
    int n = chain_address_txs (chain, pubkey, NULL, 0, 25, txids, heights);
    assert_true (n >= 0);
    bool found = false;
    for (int i = 0; i < n; i++) {
        if (i)
            assert_true (heights [i] <= heights [i - 1]);
        if (zc_hash_eq (&txids [i], txid) && heights [i] == height)
            found = true;
    }
    return found;
}

//  Whether chain_address_coins lists an outpoint
typedef struct {
    zc_outpoint_t op;
    bool found;
} s_find_t;

static void
s_find_visit (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    (void) coin;
    s_find_t *f = arg;
    if (zc_outpoint_eq (op, &f->op))
        f->found = true;
}

static bool
s_lists_coin (chain_t *chain, const uint8_t *pubkey, const zc_hash_t *txid, uint32_t index)
{
    s_find_t find = { .op = { *txid, index } };
    assert_true (chain_address_coins (chain, pubkey, 0, s_find_visit, &find) >= 0);
    return find.found;
}

//  The spent-by and address-history indexes and the block stats follow
//  connect, disconnect and connect again; an output created and spent in
//  one block leaves no unspent row in its address's index
static void
test_history_reorg (void **state)
{
    (void) state;
    char err [256];
    chain_t *chain = chain_open (s_dir, s_params, false, err, sizeof err);
    assert_non_null (chain);
    chain_event_t ev [16];
    chain_node_t *fork = chain_tip (chain);
    s_pick_t pick = { .before = fork->height + 1 };
    assert_true (chain_address_coins (chain, s_pub, 0, s_pick_visit, &pick) > 0);
    assert_true (pick.found);

    zc_tx_t *tx = zc_tx_new (1, 2);
    tx->in [0].prevout = pick.op;
    tx->out [0].amount = pick.coin.amount / 2;
    memcpy (tx->out [0].pubkey, zc_params_nums_key, 32);
    tx->out [1].amount = pick.coin.amount - pick.coin.amount / 2 - 1000;
    memcpy (tx->out [1].pubkey, s_pub, 32);
    assert_int_equal (zc_tx_sign (tx, &pick.coin, zc_params_genesis_hash (s_params), &s_key), 0);
    //  ... and in the same block a payment of its change back to s_pub
    zc_coin_t change = { .amount = tx->out [1].amount, .height = fork->height + 1 };
    memcpy (change.pubkey, s_pub, 32);
    zc_tx_t *txs [2] = { tx, zc_tx_new (1, 1) };
    zc_tx_t *tx2 = txs [1];
    tx2->in [0].prevout = (zc_outpoint_t) { tx->txid, 1 };
    tx2->out [0].amount = change.amount - 500;
    memcpy (tx2->out [0].pubkey, s_pub, 32);
    assert_int_equal (zc_tx_sign (tx2, &change, zc_params_genesis_hash (s_params), &s_key), 0);
    size_t size;
    zc_hash_t hash;
    uint8_t *raw = s_make_block (chain, fork, 3001, txs, 2, 1500, &size, &hash);
    chain_node_t *a1;
    assert_int_equal (chain_accept (chain, raw, size, 1900000000, &a1), ZC_OK);
    free (raw);
    assert_int_equal (s_run_steps (chain, ev, 16), 1);
    assert_false (s_lists_coin (chain, s_pub, &pick.op.txid, pick.op.index));
    assert_false (s_lists_coin (chain, s_pub, &tx->txid, 1));
    assert_true (s_lists_coin (chain, s_pub, &tx2->txid, 0));
    assert_true (s_in_history (chain, s_pub, &tx2->txid, a1->height));

    //  connected: who spent the coin, both keys' histories, the block's fees
    zc_hash_t spender;
    uint32_t vin = 99;
    assert_int_equal (chain_find_spender (chain, &pick.op, &spender, &vin), 1);
    assert_true (zc_hash_eq (&spender, &tx->txid));
    assert_int_equal (vin, 0);
    zc_outpoint_t unspent = { tx->txid, 0 };
    assert_int_equal (chain_find_spender (chain, &unspent, &spender, &vin), 0);
    assert_true (s_in_history (chain, zc_params_nums_key, &tx->txid, a1->height));
    assert_true (s_in_history (chain, s_pub, &tx->txid, a1->height));
    chain_block_stats_t stats;
    assert_int_equal (chain_block_stats (chain, a1, &stats), 1);
    assert_true (stats.fees_known);
    assert_int_equal (stats.fees, 1500);
    assert_int_equal (stats.tx_count, 3);
    assert_int_equal (stats.size, size);
    assert_int_equal (stats.fee_bytes, tx->size + tx2->size);
    //  paging: after the newest row come only rows at its height or below
    zc_hash_t first [2], rest [25];
    uint32_t first_h [2], rest_h [25];
    assert_int_equal (chain_address_txs (chain, s_pub, NULL, 0, 2, first, first_h), 2);
    assert_int_equal (first_h [0], a1->height);
    int n = chain_address_txs (chain, s_pub, &first [0], first_h [0], 25, rest, rest_h);
    assert_true (n > 0);
    assert_true (zc_hash_eq (&rest [0], &first [1]));
    for (int i = 0; i < n; i++)
        assert_false (zc_hash_eq (&rest [i], &first [0]));

    //  a heavier branch without it: the rows go
    chain_node_t *b1 = s_mine (chain, fork, 4001);
    chain_node_t *b2 = s_mine (chain, b1, 4002);
    assert_int_equal (s_run_steps (chain, ev, 16), 3);
    assert_ptr_equal (chain_tip (chain), b2);
    assert_int_equal (chain_find_spender (chain, &pick.op, &spender, &vin), 0);
    assert_false (s_in_history (chain, zc_params_nums_key, &tx->txid, a1->height));
    assert_false (s_in_history (chain, s_pub, &tx->txid, a1->height));
    assert_false (s_in_history (chain, s_pub, &tx2->txid, a1->height));
    assert_true (s_lists_coin (chain, s_pub, &pick.op.txid, pick.op.index));
    assert_false (s_lists_coin (chain, s_pub, &tx->txid, 1));
    assert_false (s_lists_coin (chain, s_pub, &tx2->txid, 0));
    zc_hash_t top;
    uint32_t top_h;
    assert_int_equal (chain_address_txs (chain, s_pub, NULL, 0, 1, &top, &top_h), 1);
    assert_int_equal (top_h, b2->height);

    //  the first branch grows heavier again: the rows come back
    chain_node_t *a2 = s_mine (chain, a1, 3002);
    s_mine (chain, a2, 3003);
    assert_int_equal (s_run_steps (chain, ev, 16), 5);
    assert_int_equal (chain_find_spender (chain, &pick.op, &spender, &vin), 1);
    assert_true (zc_hash_eq (&spender, &tx->txid));
    assert_true (s_in_history (chain, zc_params_nums_key, &tx->txid, a1->height));
    assert_true (s_in_history (chain, s_pub, &tx->txid, a1->height));
    assert_true (s_in_history (chain, s_pub, &tx2->txid, a1->height));
    assert_false (s_lists_coin (chain, s_pub, &pick.op.txid, pick.op.index));
    assert_false (s_lists_coin (chain, s_pub, &tx->txid, 1));
    assert_true (s_lists_coin (chain, s_pub, &tx2->txid, 0));
    zc_tx_destroy (&tx);
    zc_tx_destroy (&tx2);
    chain_destroy (&chain);
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
        cmocka_unit_test (test_cache_small),
        cmocka_unit_test (test_cache_large),
        cmocka_unit_test (test_history_reorg),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
