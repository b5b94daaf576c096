/*  test_mempool_pool.c - the mempool's pool: conflicts, chains, eviction,
 *  templates, confirmation, expiry
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pool.h"

#include <stdlib.h>
#include <string.h>

//  A 1-in n-out transaction spending (txid of parent or a made-up one, index)
static zc_tx_t *
s_tx (const zc_hash_t *parent, uint8_t fake, uint32_t index, uint32_t n_out)
{
    zc_tx_t *tx = zc_tx_new (1, n_out);
    if (parent)
        tx->in [0].prevout.txid = *parent;
    else
        memset (tx->in [0].prevout.txid.b, fake, 32);
    tx->in [0].prevout.index = index;
    for (uint32_t o = 0; o < n_out; o++)
        tx->out [o].amount = 1000 + o;
    zc_tx_finalize (tx);
    return tx;
}

static zc_err_t
s_add (pool_t *pool, zc_tx_t *tx, uint64_t fee, uint64_t now)
{
    uint8_t *raw = malloc (4);          //  raw bytes are opaque to the pool
    return pool_add (pool, &tx, &raw, 4, fee, now);
}

typedef struct {
    int count [8];
} s_removed_t;

static void
s_on_removed (void *arg, const pool_entry_t *entry, pool_remove_t why)
{
    (void) entry;
    ((s_removed_t *) arg)->count [why]++;
}

//  Usage: add, find, template, confirm
static void
test_usage (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 20, 25);
    zc_tx_t *tx = s_tx (NULL, 1, 0, 2);
    zc_hash_t txid = tx->txid;
    assert_int_equal (s_add (pool, tx, 5000, 1), ZC_OK);
    assert_int_equal (pool_count (pool), 1);
    const pool_entry_t *e = pool_find (pool, &txid);
    assert_non_null (e);
    assert_true (e->fee == 5000);
    zc_outpoint_t spent = { { { 0 } }, 0 };
    memset (spent.txid.b, 1, 32);
    assert_ptr_equal (pool_spender (pool, &spent), e);
    zc_coin_t coin;
    zc_outpoint_t out1 = { txid, 1 };
    assert_int_equal (pool_coin (pool, &out1, &coin), 1);
    assert_int_equal (coin.amount, 1001);

    const pool_entry_t *chosen [4];
    uint64_t fees;
    assert_int_equal (pool_template (pool, 1000000, chosen, 4, &fees), 1);
    assert_true (fees == 5000);

    zc_tx_t *block_txs [1] = { e->tx };
    zc_tx_t *copy = zc_tx_dup (e->tx);
    block_txs [0] = copy;
    pool_block_connected (pool, block_txs, 1);
    assert_int_equal (pool_count (pool), 0);
    assert_int_equal (pool_bytes (pool), 0);
    zc_tx_destroy (&copy);
    pool_destroy (&pool);
}

//  First seen wins; the same transaction twice is a duplicate
static void
test_conflicts (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 20, 25);
    zc_tx_t *a = s_tx (NULL, 2, 0, 1);
    zc_tx_t *a_again = zc_tx_dup (a);
    zc_tx_t *rival = s_tx (NULL, 2, 0, 2);             //  same input, other outputs
    assert_int_equal (s_add (pool, a, 100, 1), ZC_OK);
    assert_int_equal (s_add (pool, a_again, 100, 1), ZC_ERR_DUPLICATE);
    assert_int_equal (s_add (pool, rival, 1000000, 1), ZC_ERR_DOUBLE_SPEND);
    assert_int_equal (pool_count (pool), 1);
    pool_destroy (&pool);
}

//  Chains: a child spends its parent's output; removing the parent removes
//  the child; the depth limit holds; templates put parents first even when
//  the child pays more
static void
test_chains (void **state)
{
    (void) state;
    s_removed_t removed = { { 0 } };
    pool_t *pool = pool_new (1 << 20, 3);
    pool_set_removed (pool, s_on_removed, &removed);
    zc_tx_t *parent = s_tx (NULL, 3, 0, 1);
    zc_hash_t parent_id = parent->txid;
    assert_int_equal (s_add (pool, parent, 10, 1), ZC_OK);
    zc_tx_t *child = s_tx (&parent_id, 0, 0, 1);
    zc_hash_t child_id = child->txid;
    assert_int_equal (s_add (pool, child, 100000, 2), ZC_OK);
    assert_int_equal (pool_find (pool, &child_id)->depth, 2);
    zc_tx_t *grandchild = s_tx (&child_id, 0, 0, 1);
    zc_hash_t grandchild_id = grandchild->txid;
    assert_int_equal (s_add (pool, grandchild, 100, 3), ZC_OK);
    zc_tx_t *too_deep = s_tx (&grandchild_id, 0, 0, 1);
    assert_int_equal (pool_admits (pool, too_deep, 1000000), ZC_ERR_TOO_LONG_CHAIN);
    zc_tx_destroy (&too_deep);

    const pool_entry_t *chosen [8];
    uint64_t fees;
    assert_int_equal (pool_template (pool, 1000000, chosen, 8, &fees), 3);
    assert_true (zc_hash_eq (&chosen [0]->tx->txid, &parent_id));
    assert_true (zc_hash_eq (&chosen [1]->tx->txid, &child_id));
    assert_true (fees == 100110);

    //  a block confirms the parent: the child stays, now at depth 1
    zc_tx_t *confirmed = zc_tx_dup (pool_find (pool, &parent_id)->tx);
    pool_block_connected (pool, &confirmed, 1);
    zc_tx_destroy (&confirmed);
    assert_int_equal (pool_count (pool), 2);
    assert_int_equal (pool_find (pool, &child_id)->depth, 1);
    assert_int_equal (removed.count [POOL_CONFIRMED], 1);

    //  a block spending the child's input some other way: child and
    //  grandchild are conflicts now
    zc_tx_t *rival = s_tx (&parent_id, 0, 0, 3);
    pool_block_connected (pool, &rival, 1);
    zc_tx_destroy (&rival);
    assert_int_equal (pool_count (pool), 0);
    assert_int_equal (removed.count [POOL_CONFLICT], 2);
    pool_destroy (&pool);
}

//  Full: the lowest fee rates go, a newcomer paying no more than what was
//  evicted is refused, and a template respects its byte limit
static void
test_eviction (void **state)
{
    (void) state;
    s_removed_t removed = { { 0 } };
    zc_tx_t *probe = s_tx (NULL, 0, 0, 1);
    size_t size = probe->size;
    //  the limit caps memory: what one such entry takes, measured
    pool_t *scale = pool_new (1 << 20, 25);
    assert_int_equal (s_add (scale, probe, 1000, 0), ZC_OK);
    size_t usage = pool_usage (scale);
    assert_true (usage > size);
    pool_destroy (&scale);
    pool_t *pool = pool_new (usage * 100, 25);
    pool_set_removed (pool, s_on_removed, &removed);
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal (s_add (pool, s_tx (NULL, 9, i, 1), 1000 + i * 10, i), ZC_OK);
    assert_int_equal (pool_count (pool), 100);
    assert_int_equal (removed.count [POOL_EVICTED], 0);
    //  one more, paying well: the cheapest 6 go (down to 95%)
    assert_int_equal (s_add (pool, s_tx (NULL, 9, 1000, 1), 999999, 200), ZC_OK);
    assert_int_equal (removed.count [POOL_EVICTED], 6);
    assert_true (pool_usage (pool) <= usage * 95);
    assert_int_equal (pool_bytes (pool), pool_count (pool) * size);
    //  filled up again, a newcomer at the last evicted rate is refused
    zc_tx_t *cheap = s_tx (NULL, 9, 2000, 1);
    for (int i = 0; i < 5; i++)
        assert_int_equal (s_add (pool, s_tx (NULL, 9, 3000 + (uint32_t) i, 1), 5000, 300), ZC_OK);
    assert_int_equal (pool_admits (pool, cheap, pool_rate (1050, size)), ZC_ERR_MEMPOOL_FULL);
    zc_tx_destroy (&cheap);

    const pool_entry_t *chosen [200];
    uint64_t fees;
    assert_int_equal (pool_template (pool, size * 10, chosen, 200, &fees), 10);
    assert_true (chosen [0]->fee == 999999);             //  the best first
    pool_destroy (&pool);
}

static void
test_expiry (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 20, 25);
    zc_tx_t *old = s_tx (NULL, 4, 0, 1);
    zc_hash_t old_id = old->txid;
    assert_int_equal (s_add (pool, old, 100, 1000), ZC_OK);
    zc_tx_t *child = s_tx (&old_id, 0, 0, 1);
    assert_int_equal (s_add (pool, child, 100, 50000), ZC_OK);
    assert_int_equal (s_add (pool, s_tx (NULL, 5, 0, 1), 100, 50000), ZC_OK);
    pool_expire (pool, 60000, 30000);
    assert_int_equal (pool_count (pool), 1);                //  old and its child gone
    pool_destroy (&pool);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_conflicts),
        cmocka_unit_test (test_chains),
        cmocka_unit_test (test_eviction),
        cmocka_unit_test (test_expiry),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
