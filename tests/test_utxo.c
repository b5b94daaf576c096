/*  test_utxo.c - UTXO view: connect, undo, failure leaves no trace, random chains */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_params.h"
#include "zc_utxo.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const zc_params_t *s_params;

//  A snapshot of the whole set: sorted (key, coin) records
typedef struct {
    size_t n, cap;
    uint8_t (*rec) [36 + ZC_COIN_BYTES];
} s_snap_t;

static void
s_snap_visit (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    s_snap_t *snap = arg;
    if (snap->n == snap->cap) {
        snap->cap = snap->cap ? snap->cap * 2 : 64;
        snap->rec = realloc (snap->rec, snap->cap * sizeof *snap->rec);
        assert_non_null (snap->rec);
    }
    zc_outpoint_key (op, snap->rec [snap->n]);
    zc_coin_encode (coin, snap->rec [snap->n] + 36);
    snap->n++;
}

static int
s_rec_cmp (const void *a, const void *b)
{
    return memcmp (a, b, 36 + ZC_COIN_BYTES);
}

static s_snap_t
s_snapshot (zc_utxo_t *view)
{
    s_snap_t snap = { 0, 0, NULL };
    zc_utxo_each (view, s_snap_visit, &snap);
    if (snap.n)
        qsort (snap.rec, snap.n, sizeof *snap.rec, s_rec_cmp);
    assert_int_equal (snap.n, zc_utxo_size (view));
    return snap;
}

static void
s_assert_same (const s_snap_t *a, const s_snap_t *b)
{
    assert_int_equal (a->n, b->n);
    if (a->n)
        assert_memory_equal (a->rec, b->rec, a->n * sizeof *a->rec);
}

static zc_block_t *
s_block (uint32_t height, uint32_t n_tx)
{
    zc_block_t *block = zc_block_new (n_tx);
    uint8_t key [32];
    memset (key, (int) height, sizeof key);
    block->tx [0] = zc_coinbase_new (height, height, zc_params_subsidy (s_params, height), key);
    return block;
}

static zc_tx_t *
s_spend (const zc_outpoint_t *op, uint64_t amount, uint32_t n_out)
{
    zc_tx_t *tx = zc_tx_new (1, n_out);
    tx->in [0].prevout = *op;
    for (uint32_t o = 0; o < n_out; o++) {
        tx->out [o].amount = amount / n_out;
        memset (tx->out [o].pubkey, 0x30 + (int) o, 32);
    }
    zc_tx_finalize (tx);
    return tx;
}

//  Usage: connect a block, read a coin, disconnect it again
static void
test_usage (void **state)
{
    (void) state;
    zc_utxo_t *view = zc_utxo_new (NULL, NULL);
    zc_block_t *genesis = zc_params_genesis (s_params);
    zc_undo_t *undo;
    uint64_t fees;
    assert_int_equal (zc_utxo_connect (view, genesis, 0, s_params, &undo, &fees), ZC_OK);
    assert_int_equal (undo->n, 0);
    assert_int_equal (zc_utxo_size (view), 1);
    zc_outpoint_t op = { genesis->tx [0]->txid, 0 };
    zc_coin_t coin;
    assert_int_equal (zc_utxo_get (view, &op, &coin), 1);
    assert_true (coin.coinbase);
    assert_int_equal (zc_utxo_disconnect (view, genesis, undo), ZC_OK);
    assert_int_equal (zc_utxo_get (view, &op, &coin), 0);
    assert_int_equal (zc_utxo_size (view), 0);
    zc_undo_destroy (&undo);
    zc_block_destroy (&genesis);
    zc_utxo_destroy (&view);
}

typedef struct {
    int put, del;
} s_dirty_t;

static void
s_dirty_visit (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    (void) op;
    s_dirty_t *dirty = arg;
    if (coin)
        dirty->put++;
    else
        dirty->del++;
}

//  One funded view, then each rule broken once: the reason is exact and
//  the set is byte for byte what it was
static void
test_rejects_change_nothing (void **state)
{
    (void) state;
    zc_utxo_t *view = zc_utxo_new (NULL, NULL);
    zc_outpoint_t mature = { { { 1 } }, 0 }, young = { { { 2 } }, 0 }, plain = { { { 3 } }, 5 };
    zc_coin_t c1 = { .amount = 1000, .height = 1, .coinbase = true };
    zc_coin_t c2 = { .amount = 1000, .height = 95, .coinbase = true };
    zc_coin_t c3 = { .amount = 500, .height = 50, .coinbase = false };
    assert_int_equal (zc_utxo_add (view, &mature, &c1), 0);
    assert_int_equal (zc_utxo_add (view, &young, &c2), 0);
    assert_int_equal (zc_utxo_add (view, &plain, &c3), 0);
    assert_int_equal (zc_utxo_add (view, &plain, &c3), -1);
    zc_utxo_clear_dirty (view);
    s_snap_t before = s_snapshot (view);
    zc_outpoint_t missing = { { { 9 } }, 0 };
    zc_undo_t *undo;

    struct { zc_outpoint_t a, b; uint64_t amount_a, amount_b; zc_err_t expect; } cases [] = {
        { mature, missing, 1000, 1, ZC_ERR_UNKNOWN_INPUT },
        { young, young, 100, 100, ZC_ERR_IMMATURE_SPEND },      //  100 - 95 < 10
        { mature, plain, 1001, 1, ZC_ERR_BAD_AMOUNT },          //  creates money
        { mature, mature, 10, 10, ZC_ERR_DOUBLE_SPEND },        //  two txs, one coin
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        zc_block_t *block = s_block (100, 3);
        block->tx [1] = s_spend (&cases [i].a, cases [i].amount_a, 1);
        block->tx [2] = s_spend (&cases [i].b, cases [i].amount_b, 2);
        zc_block_finalize (block);
        assert_int_equal (zc_utxo_connect (view, block, 100, s_params, &undo, NULL), cases [i].expect);
        assert_null (undo);
        s_snap_t after = s_snapshot (view);
        s_assert_same (&before, &after);
        free (after.rec);
        zc_block_destroy (&block);
    }
    //  a coinbase that claims another height, and a transaction with no
    //  input: what keeps every txid unique, each refused
    zc_block_t *block = s_block (99, 2);
    block->tx [1] = s_spend (&plain, 400, 1);
    zc_block_finalize (block);
    assert_int_equal (zc_utxo_connect (view, block, 100, s_params, &undo, NULL), ZC_ERR_BAD_COINBASE);
    zc_block_destroy (&block);
    block = s_block (100, 2);
    block->tx [1] = zc_tx_new (0, 1);
    block->tx [1]->out [0].amount = 1;
    zc_tx_finalize (block->tx [1]);
    zc_block_finalize (block);
    assert_int_equal (zc_utxo_connect (view, block, 100, s_params, &undo, NULL), ZC_ERR_EMPTY);
    zc_block_destroy (&block);
    {
        s_snap_t after = s_snapshot (view);
        s_assert_same (&before, &after);
        free (after.rec);
    }
    //  a coinbase that pays itself the fees twice
    block = s_block (100, 2);
    block->tx [1] = s_spend (&plain, 400, 1);                  //  fee 100
    block->tx [0]->out [0].amount += 101;
    zc_tx_finalize (block->tx [0]);
    zc_block_finalize (block);
    assert_int_equal (zc_utxo_connect (view, block, 100, s_params, &undo, NULL), ZC_ERR_BAD_COINBASE);
    //  the same block paying exactly subsidy + fees connects
    block->tx [0]->out [0].amount -= 1;
    zc_tx_finalize (block->tx [0]);
    uint64_t fees;
    assert_int_equal (zc_utxo_connect (view, block, 100, s_params, &undo, &fees), ZC_OK);
    assert_int_equal (fees, 100);
    assert_int_equal (undo->n, 1);
    assert_int_equal (undo->coins [0].amount, 500);

    //  dirty entries: the spent coin and the two new outputs
    s_dirty_t dirty = { 0, 0 };
    zc_utxo_each_dirty (view, s_dirty_visit, &dirty);
    assert_int_equal (dirty.put, 2);    //  coinbase output and the new output
    assert_int_equal (dirty.del, 1);    //  the spent coin
    assert_int_equal (zc_utxo_disconnect (view, block, undo), ZC_OK);
    s_snap_t after = s_snapshot (view);
    s_assert_same (&before, &after);
    free (after.rec);
    free (before.rec);
    zc_undo_destroy (&undo);
    zc_block_destroy (&block);
    zc_utxo_destroy (&view);
}

//  Random chains: connect blocks that spend random mature coins, then
//  disconnect them one by one; every step gives back the exact earlier set
static void
test_random_connect_disconnect (void **state)
{
    (void) state;
    unsigned seed = getenv ("ZC_TEST_SEED") ? (unsigned) atoi (getenv ("ZC_TEST_SEED"))
                                            : (unsigned) time (NULL);
    print_message ("seed %u (replay with ZC_TEST_SEED=%u)\n", seed, seed);
    srand (seed);

    enum { BLOCKS = 60 };
    zc_utxo_t *view = zc_utxo_new (NULL, NULL);
    zc_block_t *blocks [BLOCKS];
    zc_undo_t *undos [BLOCKS];
    s_snap_t snaps [BLOCKS];
    uint64_t issued = 0;

    for (uint32_t h = 0; h < BLOCKS; h++) {
        snaps [h] = s_snapshot (view);
        //  candidates: mature coins in the set now
        size_t n_cand = 0;
        zc_outpoint_t cand [64];
        zc_coin_t cand_coin [64];
        for (size_t i = 0; i < snaps [h].n && n_cand < 64; i++) {
            zc_coin_t coin;
            assert_int_equal (zc_coin_decode (snaps [h].rec [i] + 36, ZC_COIN_BYTES, &coin), ZC_OK);
            if (coin.coinbase && h - coin.height < s_params->coinbase_maturity)
                continue;
            if (rand () % 2)
                continue;
            memcpy (cand [n_cand].txid.b, snaps [h].rec [i], 32);
            cand [n_cand].index = zc_be32 (snaps [h].rec [i] + 32);
            cand_coin [n_cand++] = coin;
        }
        uint32_t n_tx = 1 + (uint32_t) (n_cand ? (size_t) rand () % (n_cand + 1) : 0);
        zc_block_t *block = s_block (h, n_tx);
        uint64_t fees = 0;
        for (uint32_t t = 1; t < n_tx; t++) {
            //  spend candidate t-1, sometimes leaving a fee; and sometimes a
            //  chain within the block: spend the previous tx's first output
            if (t > 1 && rand () % 4 == 0) {
                zc_outpoint_t prev = { block->tx [t - 1]->txid, 0 };
                uint64_t amount = block->tx [t - 1]->out [0].amount;
                block->tx [t] = s_spend (&prev, amount, 1 + (uint32_t) (rand () % 3));
            }
            else {
                uint64_t fee = cand_coin [t - 1].amount > 10 ? (uint64_t) (rand () % 10) : 0;
                block->tx [t] = s_spend (&cand [t - 1], cand_coin [t - 1].amount - fee,
                                         1 + (uint32_t) (rand () % 3));
            }
        }
        zc_block_finalize (block);
        zc_err_t rc = zc_utxo_connect (view, block, h, s_params, &undos [h], &fees);
        assert_int_equal (rc, ZC_OK);
        issued += block->tx [0]->out [0].amount;
        blocks [h] = block;
        //  outputs never exceed what was issued: the set's total plus fees
        //  burned by rounding equals the coinbases
        uint64_t total = 0;
        s_snap_t now = s_snapshot (view);
        for (size_t i = 0; i < now.n; i++)
            total += zc_le64 (now.rec [i] + 36);
        assert_true (total <= issued);
        free (now.rec);
    }
    for (uint32_t h = BLOCKS; h-- > 0; ) {
        assert_int_equal (zc_utxo_disconnect (view, blocks [h], undos [h]), ZC_OK);
        s_snap_t now = s_snapshot (view);
        s_assert_same (&now, &snaps [h]);
        free (now.rec);
        free (snaps [h].rec);
        zc_undo_destroy (&undos [h]);
        zc_block_destroy (&blocks [h]);
    }
    assert_int_equal (zc_utxo_size (view), 0);
    zc_utxo_destroy (&view);
}

//  A view over a backing store asks it for coins it lacks, and a store
//  failure is an internal error that changes nothing
typedef struct {
    zc_outpoint_t op;
    zc_coin_t coin;
    int calls;
    bool fail;
} s_store_t;

static int
s_fetch (void *arg, const zc_outpoint_t *op, zc_coin_t *coin)
{
    s_store_t *store = arg;
    store->calls++;
    if (store->fail)
        return -1;
    if (!zc_outpoint_eq (op, &store->op))
        return 0;
    *coin = store->coin;
    return 1;
}

static void
s_count_visit (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    (void) op;
    (void) coin;
    (*(size_t *) arg)++;
}

//  A step view's fetch: what the cache holds, nothing behind it
static int
s_cache_fetch (void *arg, const zc_outpoint_t *outpoint, zc_coin_t *coin)
{
    int rc = zc_utxo_peek ((zc_utxo_t *) arg, outpoint, coin);
    return rc < 0 ? 0 : rc;
}

static void
test_backing_store (void **state)
{
    (void) state;
    s_store_t store = { .op = { { { 7 } }, 1 }, .coin = { .amount = 300, .height = 1 } };
    zc_utxo_t *view = zc_utxo_new (s_fetch, &store);
    zc_coin_t coin;
    assert_int_equal (zc_utxo_get (view, &store.op, &coin), 1);
    assert_int_equal (coin.amount, 300);
    assert_int_equal (zc_utxo_get (view, &store.op, &coin), 1);
    assert_int_equal (store.calls, 1);          //  cached after the first
    zc_block_t *block = s_block (5, 2);
    block->tx [1] = s_spend (&store.op, 300, 1);
    zc_block_finalize (block);
    zc_undo_t *undo;
    assert_int_equal (zc_utxo_connect (view, block, 5, s_params, &undo, NULL), ZC_OK);
    //  the input came from the view; the outputs it made were never asked for
    assert_int_equal (store.calls, 1);
    assert_int_equal (zc_utxo_get (view, &store.op, &coin), 0);     //  spent here
    zc_undo_destroy (&undo);
    zc_block_destroy (&block);
    zc_utxo_destroy (&view);

    store.fail = true;
    view = zc_utxo_new (s_fetch, &store);
    block = s_block (5, 2);
    block->tx [1] = s_spend (&store.op, 300, 1);
    zc_block_finalize (block);
    assert_int_equal (zc_utxo_connect (view, block, 5, s_params, &undo, NULL), ZC_ERR_INTERNAL);
    assert_int_equal (zc_utxo_size (view), 0);
    zc_block_destroy (&block);
    zc_utxo_destroy (&view);
}

//  Room made once for n entries: what was there stays, and filling the
//  room grows nothing more
static void
test_reserve (void **state)
{
    (void) state;
    zc_utxo_t *view = zc_utxo_new (NULL, NULL);
    zc_outpoint_t op = { { { 9 } }, 0 };
    zc_coin_t coin = { .amount = 5, .height = 1 };
    assert_int_equal (zc_utxo_add (view, &op, &coin), 0);
    size_t before = zc_utxo_memory (view);
    assert_int_equal (zc_utxo_reserve (view, 10), 0);
    assert_int_equal (zc_utxo_memory (view), before);       //  room enough already
    assert_int_equal (zc_utxo_reserve (view, 5000), 0);
    size_t reserved = zc_utxo_memory (view);
    assert_true (reserved > before);
    for (uint32_t i = 1; i <= 5000; i++) {
        zc_outpoint_t o = { { { 9 } }, i };
        assert_int_equal (zc_utxo_add (view, &o, &coin), 0);
    }
    assert_int_equal (zc_utxo_memory (view), reserved);
    assert_int_equal (zc_utxo_size (view), 5001);
    zc_coin_t got;
    assert_int_equal (zc_utxo_get (view, &op, &got), 1);
    assert_int_equal (got.amount, 5);
    zc_utxo_destroy (&view);
}

//  The long-lived view storage keeps as its coin cache: peek, remember,
//  apply a step's changes, and a bound that turns entries away and a trim
//  that drops the oldest first
static void
test_cache (void **state)
{
    (void) state;
    zc_utxo_t *cache = zc_utxo_new (NULL, NULL);
    zc_outpoint_t a = { { { 1 } }, 0 }, b = { { { 2 } }, 0 };
    zc_coin_t coin = { .amount = 70, .height = 3 }, got;
    assert_int_equal (zc_utxo_peek (cache, &a, &got), -1);      //  not held
    assert_int_equal (zc_utxo_remember (cache, &a, &coin), 0);
    assert_int_equal (zc_utxo_remember (cache, &b, NULL), 0);   //  known absent
    assert_int_equal (zc_utxo_peek (cache, &a, &got), 1);
    assert_int_equal (got.amount, 70);
    assert_int_equal (zc_utxo_peek (cache, &b, &got), 0);
    assert_int_equal (zc_utxo_size (cache), 1);
    //  remembering is not a change: nothing dirty to write
    size_t dirty = 0;
    zc_utxo_each_dirty (cache, s_count_visit, &dirty);
    assert_int_equal (dirty, 0);

    //  a step spends a and creates c in a view of its own over the cache
    zc_utxo_t *step = zc_utxo_new (s_cache_fetch, cache);
    zc_block_t *block = s_block (20, 2);
    block->tx [1] = s_spend (&a, 70, 1);
    zc_block_finalize (block);
    zc_undo_t *undo;
    assert_int_equal (zc_utxo_connect (step, block, 20, s_params, &undo, NULL), ZC_OK);
    zc_outpoint_t c = { block->tx [1]->txid, 0 };
    //  the cache does not know until the step is applied
    assert_int_equal (zc_utxo_peek (cache, &a, &got), 1);
    assert_int_equal (zc_utxo_peek (cache, &c, &got), -1);
    zc_utxo_apply (step, cache);
    assert_int_equal (zc_utxo_peek (cache, &a, &got), 0);
    assert_int_equal (zc_utxo_peek (cache, &c, &got), 1);
    assert_int_equal (got.height, 20);
    dirty = 0;
    zc_utxo_each_dirty (cache, s_count_visit, &dirty);
    assert_int_equal (dirty, 0);                            //  clean: it is stored
    zc_undo_destroy (&undo);
    zc_block_destroy (&block);
    zc_utxo_destroy (&step);
    zc_utxo_destroy (&cache);

    //  a bound of two tables' worth: entries turned away past it, memory held
    cache = zc_utxo_new (NULL, NULL);
    size_t first = zc_utxo_memory (cache);
    zc_utxo_set_limit (cache, first * 2);
    size_t kept = 0;
    for (uint32_t i = 0; i < 10000; i++) {
        zc_outpoint_t op = { { { 9 } }, i };
        kept += zc_utxo_remember (cache, &op, &coin) == 0;
        assert_true (zc_utxo_memory (cache) <= first * 2);
    }
    assert_true (kept > 1000 && kept < 2048);
    assert_true (zc_utxo_full (cache));
    //  the newest survive a trim: one apply ticks the clock between them
    zc_utxo_t *empty = zc_utxo_new (NULL, NULL);
    zc_utxo_apply (empty, cache);
    for (uint32_t i = 0; i < 100; i++) {
        zc_outpoint_t op = { { { 9 } }, i };
        assert_int_equal (zc_utxo_peek (cache, &op, &got), 1);  //  used now
    }
    assert_true (zc_utxo_trim (cache) > 0);
    assert_false (zc_utxo_full (cache));
    assert_true (zc_utxo_size (cache) >= 100 && zc_utxo_size (cache) < kept);
    for (uint32_t i = 0; i < 100; i++) {
        zc_outpoint_t op = { { { 9 } }, i };
        assert_int_equal (zc_utxo_peek (cache, &op, &got), 1);
    }
    zc_outpoint_t old = { { { 9 } }, (uint32_t) kept - 1 };
    assert_int_equal (zc_utxo_peek (cache, &old, &got), -1);    //  dropped
    zc_utxo_destroy (&empty);
    zc_utxo_destroy (&cache);
}

#define S_GROUND 4096                   //  outpoints of test_ground_txids

//  Outpoints in the order a walk of the table meets them
typedef struct {
    uint32_t seen [S_GROUND];
    size_t n;
} s_order_t;

static void
s_order_visit (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    (void) coin;
    s_order_t *order = arg;
    if (order->n < S_GROUND)
        order->seen [order->n++] = zc_le32 (op->txid.b + 16);
}

//  Ground txids: 4,096 outpoints whose txids agree in all but bytes 16 to
//  19 (what an author who grinds transactions can choose). Under a hash of
//  the txid's first bytes they share one home slot and fill one run in the
//  order they came, so the table's walk meets them in that order; under
//  the keyed hash they are scattered, and the walk's order is shuffled
static void
test_ground_txids (void **state)
{
    (void) state;
    zc_utxo_t *view = zc_utxo_new (NULL, NULL);
    zc_coin_t coin = { .amount = 1 };
    for (uint32_t i = 0; i < S_GROUND; i++) {
        zc_outpoint_t op = { .index = 0 };
        zc_put_le32 (op.txid.b + 16, i);
        assert_int_equal (zc_utxo_add (view, &op, &coin), 0);
    }
    assert_int_equal (zc_utxo_size (view), S_GROUND);
    s_order_t *order = calloc (1, sizeof *order);
    assert_non_null (order);
    zc_utxo_each (view, s_order_visit, order);
    assert_int_equal (order->n, S_GROUND);
    size_t in_order = 0;
    for (size_t i = 1; i < order->n; i++)
        in_order += order->seen [i] == order->seen [i - 1] + 1;
    //  a shuffle keeps about one pair in 4,096; one run keeps all 4,095
    assert_true (in_order < 64);
    free (order);
    zc_utxo_destroy (&view);
}

static void
test_undo_encoding (void **state)
{
    (void) state;
    zc_undo_t *undo = calloc (1, sizeof *undo + 3 * sizeof (zc_coin_t));
    undo->n = 3;
    undo->coins = (zc_coin_t *) (undo + 1);
    for (int i = 0; i < 3; i++) {
        undo->coins [i].amount = (uint64_t) i * 1000;
        memset (undo->coins [i].pubkey, i, 32);
        undo->coins [i].height = (uint32_t) i;
        undo->coins [i].coinbase = i == 1;
    }
    size_t size;
    uint8_t *raw = zc_undo_encode (undo, &size);
    assert_int_equal (size, 1 + 3 * ZC_COIN_BYTES);
    zc_undo_t *back;
    assert_int_equal (zc_undo_decode (raw, size, &back), ZC_OK);
    assert_int_equal (back->n, 3);
    assert_memory_equal (back->coins, undo->coins, 3 * sizeof (zc_coin_t));
    zc_undo_destroy (&back);
    for (size_t cut = 0; cut < size; cut++)
        assert_int_equal (zc_undo_decode (raw, cut, &back), ZC_ERR_MALFORMED);
    raw [1 + 44] = 2;                           //  a coinbase flag that is not 0 or 1
    assert_int_equal (zc_undo_decode (raw, size, &back), ZC_ERR_MALFORMED);
    free (raw);
    zc_undo_destroy (&undo);
}

static int
s_setup (void **state)
{
    (void) state;
    s_params = zc_params_get (ZC_NET_REGTEST);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_rejects_change_nothing),
        cmocka_unit_test (test_random_connect_disconnect),
        cmocka_unit_test (test_backing_store),
        cmocka_unit_test (test_reserve),
        cmocka_unit_test (test_cache),
        cmocka_unit_test (test_ground_txids),
        cmocka_unit_test (test_undo_encoding),
    };
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
