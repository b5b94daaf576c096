/*  test_mempool_pool.c - the mempool's pool: conflicts, package limits,
 *  removal, confirmation, eviction, templates, expiry, and a random walk
 *  checked against a recomputation (ZC_TEST_SEED replays one)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pool.h"
#include "zc_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const pool_limits_t s_limits = { 25, 25, 101000 };

//  A transaction spending n_in outpoints of parents (a made-up txid of
//  byte fake where parents [i] is NULL), with n_out outputs
static zc_tx_t *
s_tx_spending (const zc_hash_t *const *parents, const uint32_t *index, uint32_t n_in,
               uint8_t fake, uint32_t n_out)
{
    zc_tx_t *tx = zc_tx_new (n_in, n_out);
    for (uint32_t i = 0; i < n_in; i++) {
        if (parents [i])
            tx->in [i].prevout.txid = *parents [i];
        else
            memset (tx->in [i].prevout.txid.b, fake, 32);
        tx->in [i].prevout.index = index [i];
    }
    for (uint32_t o = 0; o < n_out; o++)
        tx->out [o].amount = 1000 + o;
    zc_tx_finalize (tx);
    return tx;
}

//  A 1-in n-out transaction spending (txid of parent or a made-up one, index)
static zc_tx_t *
s_tx (const zc_hash_t *parent, uint8_t fake, uint32_t index, uint32_t n_out)
{
    const zc_hash_t *parents [1] = { parent };
    return s_tx_spending (parents, &index, 1, fake, n_out);
}

static zc_err_t
s_add (pool_t *pool, zc_tx_t *tx, uint64_t fee, uint64_t now)
{
    uint8_t *raw = malloc (4);          //  raw bytes are opaque to the pool
    return pool_add (pool, &tx, &raw, fee, now);
}

//  Add tx and keep its txid
static zc_hash_t
s_add_ok (pool_t *pool, zc_tx_t *tx, uint64_t fee, uint64_t now)
{
    zc_hash_t txid = tx->txid;
    assert_int_equal (s_add (pool, tx, fee, now), ZC_OK);
    return txid;
}

static void
s_check (pool_t *pool)
{
    char err [256];
    if (pool_check (pool, err, sizeof err))
        fail_msg ("pool inconsistent: %s", err);
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

//  A chain of n on a made-up outpoint: ids [0] spends it, ids [i] spends ids [i - 1]
static void
s_chain (pool_t *pool, uint8_t fake, size_t n, uint64_t fee, zc_hash_t *ids)
{
    for (size_t i = 0; i < n; i++)
        ids [i] = s_add_ok (pool, s_tx (i ? &ids [i - 1] : NULL, fake, 0, 1), fee, i + 1);
}

//  Usage: add, find, template, confirm
static void
test_usage (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 20, &s_limits);
    zc_tx_t *tx = s_tx (NULL, 1, 0, 2);
    zc_hash_t txid = tx->txid;
    assert_int_equal (s_add (pool, tx, 5000, 1), ZC_OK);
    assert_int_equal (pool_count (pool), 1);
    const pool_entry_t *e = pool_find (pool, &txid);
    assert_non_null (e);
    assert_true (e->fee == 5000);
    assert_int_equal (e->n_ancestors, 1);
    assert_int_equal (e->n_descendants, 1);
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

    zc_tx_t *copy = zc_tx_dup (e->tx);
    pool_block_connected (pool, &copy, 1);
    assert_int_equal (pool_count (pool), 0);
    assert_int_equal (pool_bytes (pool), 0);
    assert_int_equal (pool_usage (pool), 0);
    zc_tx_destroy (&copy);
    pool_destroy (&pool);
}

//  First seen wins; the same transaction twice is a duplicate
static void
test_conflicts (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 20, &s_limits);
    zc_tx_t *a = s_tx (NULL, 2, 0, 1);
    zc_tx_t *a_again = zc_tx_dup (a);
    zc_tx_t *rival = s_tx (NULL, 2, 0, 2);             //  same input, other outputs
    assert_int_equal (s_add (pool, a, 100, 1), ZC_OK);
    assert_int_equal (s_add (pool, a_again, 100, 1), ZC_ERR_DUPLICATE);
    assert_int_equal (s_add (pool, rival, 1000000, 1), ZC_ERR_DOUBLE_SPEND);
    assert_int_equal (pool_count (pool), 1);
    pool_destroy (&pool);
}

//  A chain stops at 25 ancestors (itself included); a refused one changes nothing
static void
test_ancestor_limit (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 22, &s_limits);
    zc_hash_t ids [25];
    s_chain (pool, 3, 25, 500, ids);
    const pool_entry_t *last = pool_find (pool, &ids [24]);
    assert_int_equal (last->n_ancestors, 25);
    assert_int_equal (pool_find (pool, &ids [0])->n_descendants, 25);
    size_t bytes = pool_bytes (pool), usage = pool_usage (pool);
    assert_int_equal (s_add (pool, s_tx (&ids [24], 0, 0, 1), 500, 99), ZC_ERR_TOO_LONG_CHAIN);
    assert_int_equal (pool_count (pool), 25);
    assert_int_equal (pool_bytes (pool), bytes);
    assert_int_equal (pool_usage (pool), usage);
    assert_int_equal (pool_find (pool, &ids [0])->n_descendants, 25);
    //  a transaction joining two chains counts both
    zc_hash_t left [10], right [20];
    s_chain (pool, 4, 10, 500, left);
    s_chain (pool, 5, 14, 500, right);
    const zc_hash_t *both [2] = { &left [9], &right [13] };
    uint32_t zero [2] = { 0, 0 };
    zc_tx_t *join = s_tx_spending (both, zero, 2, 0, 1);
    zc_hash_t join_id = s_add_ok (pool, join, 500, 100);
    assert_int_equal (pool_find (pool, &join_id)->n_ancestors, 25);
    const zc_hash_t *over [2] = { &left [9], &right [13] };
    uint32_t one [2] = { 0, 0 };
    zc_tx_t *rival = s_tx_spending (over, one, 2, 0, 2);
    //  (its inputs are spent by join: refused as a double spend first)
    assert_int_equal (s_add (pool, rival, 500, 101), ZC_ERR_DOUBLE_SPEND);
    assert_int_equal (s_add (pool, s_tx (&join_id, 0, 0, 1), 500, 102), ZC_ERR_TOO_LONG_CHAIN);
    s_check (pool);
    pool_destroy (&pool);
}

//  A parent takes at most 24 descendants (25 with itself), grandchildren included
static void
test_descendant_limit (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 22, &s_limits);
    zc_hash_t parent = s_add_ok (pool, s_tx (NULL, 6, 0, 40), 1000, 1);
    zc_hash_t child [24];
    for (uint32_t i = 0; i < 20; i++)
        child [i] = s_add_ok (pool, s_tx (&parent, 0, i, 2), 1000, 2 + i);
    //  four grandchildren under the first child
    zc_hash_t grand = child [0];
    for (uint32_t i = 0; i < 4; i++)
        grand = s_add_ok (pool, s_tx (&grand, 0, 0, 2), 1000, 30 + i);
    assert_int_equal (pool_find (pool, &parent)->n_descendants, 25);
    assert_int_equal (pool_find (pool, &child [0])->n_descendants, 5);
    assert_int_equal (s_add (pool, s_tx (&parent, 0, 30, 1), 1000, 40), ZC_ERR_TOO_MANY_DESCENDANTS);
    assert_int_equal (s_add (pool, s_tx (&grand, 0, 0, 1), 1000, 41), ZC_ERR_TOO_MANY_DESCENDANTS);
    assert_int_equal (pool_count (pool), 25);
    s_check (pool);
    pool_destroy (&pool);
}

//  A package stops at 101,000 bytes, going up (ancestors) and down (descendants)
static void
test_package_bytes (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 24, &s_limits);
    //  about 20 kB each (500 outputs of 40 bytes)
    zc_hash_t prev = s_add_ok (pool, s_tx (NULL, 7, 0, 500), 100000, 1);
    size_t size = pool_find (pool, &prev)->tx->size;
    assert_true (size > 19000 && size < 21000);
    size_t fit = 101000 / size;         //  five, itself included
    for (size_t i = 1; i < fit; i++)
        prev = s_add_ok (pool, s_tx (&prev, 0, 0, 500), 100000, 1 + i);
    assert_true (pool_find (pool, &prev)->ancestor_bytes <= 101000);
    assert_int_equal (s_add (pool, s_tx (&prev, 0, 0, 500), 100000, 9), ZC_ERR_PACKAGE_TOO_LARGE);
    //  a small one still fits under the last
    s_add_ok (pool, s_tx (&prev, 0, 0, 1), 1000, 10);
    //  descendants: a small parent with big children (four fit beside it)
    zc_hash_t parent = s_add_ok (pool, s_tx (NULL, 8, 0, 10), 1000, 20);
    size_t room = (101000 - pool_find (pool, &parent)->tx->size) / size;
    assert_int_equal (room, 4);
    for (uint32_t i = 0; i < room; i++)
        s_add_ok (pool, s_tx (&parent, 0, i, 500), 100000, 21 + i);
    assert_int_equal (s_add (pool, s_tx (&parent, 0, 9, 500), 100000, 30), ZC_ERR_PACKAGE_TOO_LARGE);
    assert_true (pool_find (pool, &parent)->descendant_bytes <= 101000);
    s_check (pool);
    pool_destroy (&pool);
}

//  Removing the middle of a chain removes what is below it; what is above
//  loses those descendants
static void
test_remove_middle (void **state)
{
    (void) state;
    s_removed_t removed = { { 0 } };
    pool_t *pool = pool_new (1 << 20, &s_limits);
    pool_set_removed (pool, s_on_removed, &removed);
    zc_hash_t ids [5];
    s_chain (pool, 9, 5, 700, ids);
    pool_remove (pool, &ids [2], POOL_CONFLICT);
    assert_int_equal (removed.count [POOL_CONFLICT], 3);
    assert_int_equal (pool_count (pool), 2);
    assert_int_equal (pool_find (pool, &ids [0])->n_descendants, 2);
    assert_int_equal (pool_find (pool, &ids [1])->n_descendants, 1);
    assert_int_equal (pool_find (pool, &ids [1])->n_children, 0);
    assert_true (pool_find (pool, &ids [0])->descendant_fees == 1400);
    s_check (pool);
    pool_destroy (&pool);
}

//  A tree that joins: X spends the root and Y, Y spends the root, Z spends
//  X. Removing the root takes all four; the walk meets X before Y, and
//  freeing in its reverse order once read Y after it was freed (fuzz_pool
//  found it; under ASan a use after free)
static void
test_remove_joined_tree (void **state)
{
    (void) state;
    s_removed_t removed = { { 0 } };
    pool_t *pool = pool_new (1 << 20, &s_limits);
    pool_set_removed (pool, s_on_removed, &removed);
    zc_hash_t root = s_add_ok (pool, s_tx (NULL, 20, 0, 3), 1000, 1);
    zc_hash_t a = s_add_ok (pool, s_tx (&root, 0, 2, 1), 1000, 2);
    zc_hash_t y = s_add_ok (pool, s_tx (&root, 0, 1, 2), 1000, 2);
    const zc_hash_t *both [2] = { &root, &y };
    uint32_t index [2] = { 0, 0 };
    zc_hash_t x = s_add_ok (pool, s_tx_spending (both, index, 2, 0, 2), 1000, 3);
    s_add_ok (pool, s_tx (&x, 0, 0, 1), 1000, 4);
    zc_hash_t other = s_add_ok (pool, s_tx (NULL, 21, 0, 1), 1000, 5);
    //  a goes: the root's children become x, y (the last takes its place)
    pool_remove (pool, &a, POOL_EXPIRED);
    assert_int_equal (pool_find (pool, &root)->n_descendants, 4);
    s_check (pool);
    pool_remove (pool, &root, POOL_CONFLICT);
    assert_int_equal (removed.count [POOL_CONFLICT], 4);
    assert_int_equal (pool_count (pool), 1);
    assert_non_null (pool_find (pool, &other));
    s_check (pool);
    pool_destroy (&pool);
}

//  Chains: a child spends its parent's output; a block confirming the
//  parent leaves the child with one ancestor fewer; a block spending the
//  child's input otherwise removes the child and its descendants
static void
test_chains (void **state)
{
    (void) state;
    s_removed_t removed = { { 0 } };
    pool_limits_t three = { 3, 25, 101000 };
    pool_t *pool = pool_new (1 << 20, &three);
    pool_set_removed (pool, s_on_removed, &removed);
    zc_tx_t *parent = s_tx (NULL, 3, 0, 1);
    zc_hash_t parent_id = parent->txid;
    assert_int_equal (s_add (pool, parent, 10, 1), ZC_OK);
    zc_tx_t *child = s_tx (&parent_id, 0, 0, 1);
    zc_hash_t child_id = child->txid;
    assert_int_equal (s_add (pool, child, 100000, 2), ZC_OK);
    assert_int_equal (pool_find (pool, &child_id)->n_ancestors, 2);
    zc_tx_t *grandchild = s_tx (&child_id, 0, 0, 1);
    zc_hash_t grandchild_id = grandchild->txid;
    assert_int_equal (s_add (pool, grandchild, 100, 3), ZC_OK);
    assert_int_equal (s_add (pool, s_tx (&grandchild_id, 0, 0, 1), 1000000, 4), ZC_ERR_TOO_LONG_CHAIN);

    //  a block confirms the parent: the child stays, now with one ancestor
    zc_tx_t *confirmed = zc_tx_dup (pool_find (pool, &parent_id)->tx);
    pool_block_connected (pool, &confirmed, 1);
    zc_tx_destroy (&confirmed);
    assert_int_equal (pool_count (pool), 2);
    assert_int_equal (pool_find (pool, &child_id)->n_ancestors, 1);
    assert_int_equal (pool_find (pool, &grandchild_id)->n_ancestors, 2);
    assert_int_equal (removed.count [POOL_CONFIRMED], 1);
    //  room again below the grandchild
    assert_int_equal (s_add (pool, s_tx (&grandchild_id, 0, 0, 1), 1000, 5), ZC_OK);
    s_check (pool);

    //  a block spending the child's input some other way: child and
    //  what is below it are conflicts now
    zc_tx_t *rival = s_tx (&parent_id, 0, 0, 3);
    pool_block_connected (pool, &rival, 1);
    zc_tx_destroy (&rival);
    assert_int_equal (pool_count (pool), 0);
    assert_int_equal (removed.count [POOL_CONFLICT], 3);
    pool_destroy (&pool);
}

//  A block confirming the middle of a chain confirms what is above it too
//  (a valid block holds those first); the rest stays with fewer ancestors
static void
test_confirm_middle (void **state)
{
    (void) state;
    s_removed_t removed = { { 0 } };
    pool_t *pool = pool_new (1 << 20, &s_limits);
    pool_set_removed (pool, s_on_removed, &removed);
    zc_hash_t ids [6];
    s_chain (pool, 10, 6, 700, ids);
    zc_tx_t *third = zc_tx_dup (pool_find (pool, &ids [2])->tx);
    pool_block_connected (pool, &third, 1);
    zc_tx_destroy (&third);
    assert_int_equal (removed.count [POOL_CONFIRMED], 3);
    assert_int_equal (pool_count (pool), 3);
    assert_int_equal (pool_find (pool, &ids [3])->n_ancestors, 1);
    assert_int_equal (pool_find (pool, &ids [5])->n_ancestors, 3);
    assert_true (pool_find (pool, &ids [5])->ancestor_fees == 2100);
    s_check (pool);
    pool_destroy (&pool);
}

//  Confirming a chain costs work bounded by the limits, not by the pool:
//  200 chains of 25, a block confirming each one's head
static void
test_bounded_work (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 26, &s_limits);
    zc_hash_t (*ids) [25] = calloc (200, sizeof *ids);
    for (int c = 0; c < 200; c++)
        s_chain (pool, (uint8_t) (c + 1), 25, 700, ids [c]);
    zc_tx_t **block = calloc (200, sizeof *block);
    for (int c = 0; c < 200; c++)
        block [c] = zc_tx_dup (pool_find (pool, &ids [c] [0])->tx);
    uint64_t before = pool_visits (pool);
    pool_block_connected (pool, block, 200);
    uint64_t visits = pool_visits (pool) - before;
    print_message ("confirming 200 chain heads visited %llu entries\n", (unsigned long long) visits);
    //  each confirmation walks the 24 descendants once
    assert_true (visits <= 200 * 25);
    assert_int_equal (pool_count (pool), 200 * 24);
    for (int c = 0; c < 200; c++)
        zc_tx_destroy (&block [c]);
    //  a template over 4,800 entries walks each package once
    const pool_entry_t **chosen = calloc (5000, sizeof *chosen);
    uint64_t fees;
    before = pool_visits (pool);
    assert_int_equal (pool_template (pool, 1 << 30, chosen, 5000, &fees), 4800);
    assert_true (pool_visits (pool) - before <= 4800 * 25);
    free (chosen);
    free (block);
    free (ids);
    s_check (pool);
    pool_destroy (&pool);
}

//  Full: the lowest descendant fee rates go with their descendants, a
//  newcomer paying no more than what was evicted is refused, a new entry's
//  ancestors are spared, and a template respects its byte limit
static void
test_eviction (void **state)
{
    (void) state;
    s_removed_t removed = { { 0 } };
    zc_tx_t *probe = s_tx (NULL, 0, 0, 1);
    size_t size = probe->size;
    //  the limit caps memory: what one such entry takes, measured
    pool_t *scale = pool_new (1 << 20, &s_limits);
    assert_int_equal (s_add (scale, probe, 1000, 0), ZC_OK);
    size_t usage = pool_usage (scale);
    assert_true (usage > size);
    pool_destroy (&scale);
    pool_t *pool = pool_new (usage * 100, &s_limits);
    pool_set_removed (pool, s_on_removed, &removed);
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal (s_add (pool, s_tx (NULL, 9, i, 1), 1000 + i * 10, i), ZC_OK);
    pool_trim (pool, NULL, 0);
    assert_int_equal (pool_count (pool), 100);
    assert_int_equal (removed.count [POOL_EVICTED], 0);
    //  one more, paying well: the cheapest 6 go (down to 95%)
    zc_hash_t rich = s_add_ok (pool, s_tx (NULL, 9, 1000, 1), 999999, 200);
    pool_trim (pool, &rich, 1);
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
    s_check (pool);
    pool_destroy (&pool);
}

//  Evicting a parent takes its children; a cheap parent of a rich child
//  counts at the child's rate; a new entry's ancestors stay, even when
//  their package pays least (the new entry itself may go)
static void
test_eviction_packages (void **state)
{
    (void) state;
    s_removed_t removed = { { 0 } };
    zc_tx_t *probe = s_tx (NULL, 0, 0, 2);
    pool_t *scale = pool_new (1 << 20, &s_limits);
    assert_int_equal (s_add (scale, probe, 1000, 0), ZC_OK);
    size_t usage = pool_usage (scale);
    pool_destroy (&scale);
    pool_t *pool = pool_new (usage * 20, &s_limits);
    pool_set_removed (pool, s_on_removed, &removed);
    //  a cheap parent with a rich child, a cheap parent with a cheap child
    zc_hash_t cpfp = s_add_ok (pool, s_tx (NULL, 11, 0, 2), 100, 1);
    zc_hash_t rich = s_add_ok (pool, s_tx (&cpfp, 0, 0, 2), 900000, 2);
    zc_hash_t poor = s_add_ok (pool, s_tx (NULL, 12, 0, 2), 200, 3);
    zc_hash_t poor_child = s_add_ok (pool, s_tx (&poor, 0, 0, 2), 200, 4);
    for (uint32_t i = 0; i < 16; i++)
        s_add_ok (pool, s_tx (NULL, 14, i, 2), 5000, 10 + i);
    //  the cheapest package of all: a parent and the new entry spending it
    zc_hash_t kept_parent = s_add_ok (pool, s_tx (NULL, 13, 0, 2), 50, 5);
    zc_hash_t newcomer = s_add_ok (pool, s_tx (&kept_parent, 0, 0, 2), 60, 30);
    assert_int_equal (pool_count (pool), 22);
    pool_trim (pool, &newcomer, 1);
    assert_non_null (pool_find (pool, &kept_parent));
    assert_null (pool_find (pool, &newcomer));
    assert_null (pool_find (pool, &poor));
    assert_null (pool_find (pool, &poor_child));
    assert_non_null (pool_find (pool, &cpfp));
    assert_non_null (pool_find (pool, &rich));
    assert_int_equal (removed.count [POOL_EVICTED], 3);
    assert_true (pool_usage (pool) <= usage * 19);
    s_check (pool);
    pool_destroy (&pool);
}

//  Templates: a rich child pulls its cheap parent in ahead of a middling
//  stranger, parents always come before children, a long chain of equal
//  rates comes in order, and a package that does not fit is skipped
static void
test_template_order (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 22, &s_limits);
    zc_hash_t parent = s_add_ok (pool, s_tx (NULL, 15, 0, 1), 100, 1);
    zc_hash_t child = s_add_ok (pool, s_tx (&parent, 0, 0, 1), 500000, 2);
    zc_hash_t stranger = s_add_ok (pool, s_tx (NULL, 16, 0, 1), 50000, 3);
    const pool_entry_t *chosen [64];
    uint64_t fees;
    assert_int_equal (pool_template (pool, 1 << 20, chosen, 64, &fees), 3);
    assert_true (zc_hash_eq (&chosen [0]->tx->txid, &parent));
    assert_true (zc_hash_eq (&chosen [1]->tx->txid, &child));
    assert_true (zc_hash_eq (&chosen [2]->tx->txid, &stranger));
    assert_true (fees == 550100);
    //  room for one small transaction: the package of two does not fit,
    //  the stranger does
    size_t one = pool_find (pool, &stranger)->tx->size;
    assert_int_equal (pool_template (pool, one, chosen, 64, &fees), 1);
    assert_true (zc_hash_eq (&chosen [0]->tx->txid, &stranger));
    //  a chain of 25 at one rate: in chain order
    zc_hash_t ids [25];
    s_chain (pool, 17, 25, 300, ids);
    size_t n = pool_template (pool, 1 << 20, chosen, 64, &fees);
    assert_int_equal (n, 28);
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        if (zc_hash_eq (&chosen [i]->tx->txid, &ids [at]))
            at++;
    assert_int_equal (at, 25);
    pool_destroy (&pool);
}

//  A failed write takes back what was added: the entry quietly, what spends
//  it with a reason
static void
test_undo (void **state)
{
    (void) state;
    s_removed_t removed = { { 0 } };
    pool_t *pool = pool_new (1 << 20, &s_limits);
    pool_set_removed (pool, s_on_removed, &removed);
    zc_hash_t a = s_add_ok (pool, s_tx (NULL, 18, 0, 1), 1000, 1);
    zc_hash_t b = s_add_ok (pool, s_tx (&a, 0, 0, 1), 1000, 2);
    pool_undo (pool, &b);
    assert_null (pool_find (pool, &b));
    assert_int_equal (pool_find (pool, &a)->n_descendants, 1);
    assert_int_equal (removed.count [POOL_REORG], 0);
    s_add_ok (pool, s_tx (&a, 0, 0, 1), 1000, 3);
    pool_undo (pool, &a);
    assert_int_equal (pool_count (pool), 0);
    assert_int_equal (removed.count [POOL_REORG], 1);
    pool_destroy (&pool);
}

//  After a reorganisation a transaction comes back whose outputs pool
//  entries spend already: those go (the caller submits them again)
static void
test_reorg_spenders (void **state)
{
    (void) state;
    s_removed_t removed = { { 0 } };
    pool_t *pool = pool_new (1 << 20, &s_limits);
    pool_set_removed (pool, s_on_removed, &removed);
    zc_tx_t *back = s_tx (NULL, 19, 0, 2);
    zc_hash_t back_id = back->txid;
    //  added while "back" was confirmed
    zc_hash_t spender = s_add_ok (pool, s_tx (&back_id, 0, 1, 1), 1000, 1);
    s_add_ok (pool, s_tx (&spender, 0, 0, 1), 1000, 2);
    assert_int_equal (s_add (pool, back, 1000, 3), ZC_OK);
    assert_int_equal (removed.count [POOL_REORG], 2);
    assert_int_equal (pool_count (pool), 1);
    assert_int_equal (pool_find (pool, &back_id)->n_descendants, 1);
    s_check (pool);
    pool_destroy (&pool);
}

static void
test_expiry (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 20, &s_limits);
    zc_tx_t *old = s_tx (NULL, 4, 0, 1);
    zc_hash_t old_id = old->txid;
    assert_int_equal (s_add (pool, old, 100, 1000), ZC_OK);
    zc_tx_t *child = s_tx (&old_id, 0, 0, 1);
    assert_int_equal (s_add (pool, child, 100, 50000), ZC_OK);
    assert_int_equal (s_add (pool, s_tx (NULL, 5, 0, 1), 100, 50000), ZC_OK);
    pool_expire (pool, 60000, 30000);
    assert_int_equal (pool_count (pool), 1);                //  old and its child gone
    s_check (pool);
    pool_destroy (&pool);
}

//  Random adds (chains, fans, joins), removals, confirmations, expiry,
//  undo, trims and templates under small limits; after every step the
//  pool matches a recomputation and every template puts parents first
static void
test_random (void **state)
{
    (void) state;
    const char *env = getenv ("ZC_TEST_SEED");
    unsigned seed = env ? (unsigned) strtoul (env, NULL, 10) : (unsigned) zc_now_ms ();
    print_message ("seed %u (ZC_TEST_SEED=%u replays it)\n", seed, seed);
    srandom (seed);
    pool_limits_t small = { 6, 5, 3000 };
    pool_t *pool = pool_new (60000, &small);
    zc_hash_t known [64];
    size_t n_known = 0;
    for (int step = 0; step < 4000; step++) {
        int op = (int) (random () % 100);
        if (op < 60 || n_known == 0) {
            //  spend up to three known transactions' outputs, or a made-up one
            uint32_t n_in = 1 + (uint32_t) (random () % 3);
            const zc_hash_t *parents [3];
            uint32_t index [3];
            for (uint32_t i = 0; i < n_in; i++) {
                parents [i] = n_known && random () % 4 ? &known [random () % n_known] : NULL;
                index [i] = (uint32_t) (random () % 4);
                const pool_entry_t *in_pool = parents [i] ? pool_find (pool, parents [i]) : NULL;
                if (in_pool)
                    index [i] %= in_pool->tx->n_out;
            }
            zc_tx_t *tx = s_tx_spending (parents, index, n_in, (uint8_t) (random () % 250),
                                         1 + (uint32_t) (random () % 12));
            zc_hash_t txid = tx->txid;
            if (s_add (pool, tx, (uint64_t) (random () % 5000), (uint64_t) step) == ZC_OK) {
                known [n_known < 64 ? n_known++ : (size_t) (random () % 64)] = txid;
                if (random () % 10 == 0)
                    pool_undo (pool, &txid);
                else
                    pool_trim (pool, &txid, 1);
            }
        }
        else
        if (op < 75)
            pool_remove (pool, &known [random () % n_known], POOL_CONFLICT);
        else
        if (op < 90) {
            const pool_entry_t *e = pool_find (pool, &known [random () % n_known]);
            if (e) {
                zc_tx_t *copy = zc_tx_dup (e->tx);
                pool_block_connected (pool, &copy, 1);
                zc_tx_destroy (&copy);
            }
        }
        else
        if (op < 93)
            pool_expire (pool, (uint64_t) step, 300);
        else {
            const pool_entry_t *chosen [512];
            uint64_t fees;
            size_t n = pool_template (pool, 1 + (size_t) (random () % 20000), chosen, 512, &fees);
            for (size_t i = 0; i < n; i++)
                for (uint32_t k = 0; k < chosen [i]->tx->n_in; k++) {
                    const zc_hash_t *parent = &chosen [i]->tx->in [k].prevout.txid;
                    const pool_entry_t *in_pool = pool_find (pool, parent);
                    if (!in_pool || chosen [i]->tx->in [k].prevout.index >= in_pool->tx->n_out)
                        continue;       //  not its parent (no such output)
                    bool before = false;
                    for (size_t j = 0; j < i && !before; j++)
                        before = zc_hash_eq (&chosen [j]->tx->txid, parent);
                    if (!before)
                        fail_msg ("seed %u step %d: a child before its parent", seed, step);
                }
        }
        char err [256];
        if (pool_check (pool, err, sizeof err))
            fail_msg ("seed %u step %d: %s", seed, step, err);
    }
    pool_destroy (&pool);
}

//  The relay fee of size bytes at 1000 units/kB, as pool_replacement charges it
static uint64_t
s_relay (const zc_tx_t *tx)
{
    return (1000 * (uint64_t) tx->size + 999) / 1000;
}

//  BIP125's fee rules: more than all it evicts, by the relay fee of its
//  own size; a higher fee rate than each conflict; a replacement that
//  passes evicts its conflicts with their descendants as "replaced"
static void
test_replace_fees (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 20, &s_limits);
    s_removed_t removed = { { 0 } };
    pool_set_removed (pool, s_on_removed, &removed);
    zc_hash_t a = s_add_ok (pool, s_tx (NULL, 7, 0, 1), 1000, 1);
    zc_hash_t c = s_add_ok (pool, s_tx (&a, 0, 0, 1), 1000, 2);
    zc_hash_t other = s_add_ok (pool, s_tx (NULL, 8, 0, 1), 1000, 3);

    //  nothing spent twice: no conflict, nothing to judge
    pool_replacement_t r;
    zc_tx_t *fresh = s_tx (NULL, 9, 0, 1);
    assert_int_equal (pool_replacement (pool, fresh, 1, 1000, &r), ZC_OK);
    assert_int_equal (r.n_conflicts, 0);
    zc_tx_destroy (&fresh);

    zc_tx_t *low = s_tx (NULL, 7, 0, 2);
    assert_int_equal (pool_replacement (pool, low, 1500, 1000, &r), ZC_ERR_INSUFFICIENT_FEE);
    assert_int_equal (r.n_conflicts, 1);
    assert_int_equal (r.n_evicted, 2);
    assert_true (r.evicted_fees == 2000);
    assert_non_null (strstr (r.detail, "less fee"));
    //  the same fee as the originals: the relay fee of its own bytes is missing
    assert_int_equal (pool_replacement (pool, low, 2000, 1000, &r), ZC_ERR_INSUFFICIENT_FEE);
    assert_non_null (strstr (r.detail, "minimum relay fee"));
    assert_int_equal (pool_replacement (pool, low, 2000 + s_relay (low) - 1, 1000, &r),
                      ZC_ERR_INSUFFICIENT_FEE);
    assert_int_equal (pool_count (pool), 3);
    zc_tx_destroy (&low);

    zc_tx_t *good = s_tx (NULL, 7, 0, 2);
    uint64_t fee = 2000 + s_relay (good);
    assert_int_equal (pool_replacement (pool, good, fee, 1000, &r), ZC_OK);
    assert_null (r.detail);
    assert_int_equal (pool_replace (pool, good), 2);
    assert_int_equal (removed.count [POOL_REPLACED], 2);
    assert_null (pool_find (pool, &a));
    assert_null (pool_find (pool, &c));
    assert_non_null (pool_find (pool, &other));
    zc_hash_t good_id = s_add_ok (pool, good, fee, 4);
    assert_non_null (pool_find (pool, &good_id));
    s_check (pool);

    //  a big payment that pays more in all but less per byte: refused
    zc_tx_t *wide = s_tx (NULL, 8, 0, 60);
    uint64_t over = 1000 + s_relay (wide);
    assert_true (pool_rate (over, wide->size) <= pool_find (pool, &other)->rate);
    assert_int_equal (pool_replacement (pool, wide, over, 1000, &r), ZC_ERR_INSUFFICIENT_FEE);
    assert_non_null (strstr (r.detail, "fee rate"));
    zc_tx_destroy (&wide);
    assert_int_equal (pool_count (pool), 2);
    pool_destroy (&pool);
}

//  BIP125's other rules: at most 100 evicted; no new unconfirmed input;
//  never an output of what it evicts
static void
test_replace_shape (void **state)
{
    (void) state;
    pool_t *pool = pool_new (1 << 22, &s_limits);
    pool_replacement_t r;

    //  101 transactions, each on its own made-up outpoint; replacements spending all, and 100
    zc_hash_t fakes [101];
    const zc_hash_t *ps [101];
    uint32_t zero [101] = { 0 };
    for (uint32_t i = 0; i < 101; i++) {
        memset (fakes [i].b, 0xee, 32);
        fakes [i].b [0] = (uint8_t) i;
        ps [i] = &fakes [i];
        s_add_ok (pool, s_tx_spending (&ps [i], zero, 1, 0, 1), 10, i + 1);
    }
    zc_tx_t *all = s_tx_spending (ps, zero, 101, 0, 1);
    assert_int_equal (pool_replacement (pool, all, 100000000, 1000, &r), ZC_ERR_DOUBLE_SPEND);
    assert_non_null (strstr (r.detail, "more than 100"));
    zc_tx_destroy (&all);
    zc_tx_t *hundred = s_tx_spending (ps, zero, 100, 0, 1);
    assert_int_equal (pool_replacement (pool, hundred, 100000000, 1000, &r), ZC_OK);
    assert_int_equal (r.n_evicted, 100);
    zc_tx_destroy (&hundred);
    pool_destroy (&pool);

    pool = pool_new (1 << 22, &s_limits);
    zc_hash_t q = s_add_ok (pool, s_tx (NULL, 20, 0, 2), 1000, 1);        //  two outputs
    zc_hash_t stranger = s_add_ok (pool, s_tx (NULL, 21, 0, 1), 1000, 2);
    zc_hash_t fake22;
    memset (fake22.b, 22, 32);
    const zc_hash_t *pa [2] = { &q, &fake22 };
    uint32_t ia [2] = { 0, 0 };
    zc_hash_t orig = s_add_ok (pool, s_tx_spending (pa, ia, 2, 0, 1), 1000, 3);

    //  spends the original's parent q again (another output): allowed
    const zc_hash_t *pb [2] = { &fake22, &q };
    uint32_t ib [2] = { 0, 1 };
    zc_tx_t *ok = s_tx_spending (pb, ib, 2, 0, 1);
    assert_int_equal (pool_replacement (pool, ok, 5000, 1000, &r), ZC_OK);
    zc_tx_destroy (&ok);
    //  spends an unconfirmed output of a stranger: refused
    const zc_hash_t *pc [2] = { &fake22, &stranger };
    zc_tx_t *adds = s_tx_spending (pc, ia, 2, 0, 1);
    assert_int_equal (pool_replacement (pool, adds, 5000, 1000, &r), ZC_ERR_DOUBLE_SPEND);
    assert_non_null (strstr (r.detail, "unconfirmed output"));
    zc_tx_destroy (&adds);
    //  spends an output of the transaction it would evict: refused
    const zc_hash_t *pd [2] = { &fake22, &orig };
    zc_tx_t *self_spend = s_tx_spending (pd, ia, 2, 0, 1);
    assert_int_equal (pool_replacement (pool, self_spend, 5000, 1000, &r), ZC_ERR_DOUBLE_SPEND);
    assert_non_null (strstr (r.detail, "transaction it replaces"));
    zc_tx_destroy (&self_spend);
    assert_int_equal (pool_count (pool), 3);
    s_check (pool);
    pool_destroy (&pool);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_conflicts),
        cmocka_unit_test (test_ancestor_limit),
        cmocka_unit_test (test_descendant_limit),
        cmocka_unit_test (test_package_bytes),
        cmocka_unit_test (test_remove_middle),
        cmocka_unit_test (test_remove_joined_tree),
        cmocka_unit_test (test_chains),
        cmocka_unit_test (test_confirm_middle),
        cmocka_unit_test (test_bounded_work),
        cmocka_unit_test (test_eviction),
        cmocka_unit_test (test_eviction_packages),
        cmocka_unit_test (test_template_order),
        cmocka_unit_test (test_undo),
        cmocka_unit_test (test_reorg_spenders),
        cmocka_unit_test (test_expiry),
        cmocka_unit_test (test_random),
        cmocka_unit_test (test_replace_fees),
        cmocka_unit_test (test_replace_shape),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
