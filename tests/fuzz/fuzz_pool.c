/*  fuzz_pool.c - libFuzzer: the mempool's pool and its batch admission
 *
 *  The input is a script of operations on a pool with small limits:
 *  batches of transactions (chains, fans and joins among themselves, the
 *  pool's entries and made-up outputs) checked by admit_check in order and
 *  then committed with pool_add as the mempool does; removals, blocks
 *  (confirmations and conflicts), expiry, trims, undos and templates.
 *  After every operation the pool must match a recomputation (pool_check:
 *  links, packages, limits, totals), every template must put parents
 *  first, and admit_check must agree with pool_add: what it passes never
 *  breaks a limit at commit, and while nothing before it in the batch
 *  failed at commit, what it refuses pool_add refuses for the same reason.
 */
#include "admit.h"
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *data;
    size_t size, at;
} s_script_t;

static uint32_t
s_next (s_script_t *s)
{
    return s->at < s->size ? s->data [s->at++] : 0;
}

#define KNOWN_MAX 48
#define BATCH_MAX 12

typedef struct {
    pool_t *pool;
    zc_hash_t known [KNOWN_MAX];        //  txids seen (in the pool or not any more)
    size_t n_known;
    zc_tx_t *batch [BATCH_MAX];         //  the batch being checked (its "flight")
    size_t n_batch;
    uint64_t now;
} s_state_t;

static const zc_tx_t *
s_flight (void *arg, const zc_hash_t *txid)
{
    s_state_t *st = arg;
    for (size_t i = 0; i < st->n_batch; i++)
        if (zc_hash_eq (&st->batch [i]->txid, txid))
            return st->batch [i];
    return NULL;
}

static bool
s_limit_reason (zc_err_t rc)
{
    return rc == ZC_ERR_TOO_LONG_CHAIN || rc == ZC_ERR_TOO_MANY_DESCENDANTS
        || rc == ZC_ERR_PACKAGE_TOO_LARGE;
}

static void
s_fail (const char *what, zc_err_t a, zc_err_t b)
{
    fprintf (stderr, "fuzz_pool: %s (%s, %s)\n", what, zc_err_name (a), zc_err_name (b));
    abort ();
}

static void
s_remember (s_state_t *st, const zc_hash_t *txid)
{
    if (st->n_known < KNOWN_MAX)
        st->known [st->n_known++] = *txid;
    else
        st->known [st->now % KNOWN_MAX] = *txid;
}

//  A transaction spending up to three of: a pool entry's output, an output
//  of an earlier member of the batch, a made-up outpoint
static zc_tx_t *
s_make_tx (s_script_t *s, s_state_t *st)
{
    uint32_t n_in = 1 + s_next (s) % 3;
    uint32_t n_out = 1 + s_next (s) % 8;
    if (s_next (s) % 4 == 0)
        n_out += 40 + s_next (s);       //  a big one (2 to 12 kB), for the byte limit
    zc_tx_t *tx = zc_tx_new (n_in, n_out);
    for (uint32_t i = 0; i < n_in; i++) {
        uint32_t pick = s_next (s);
        zc_outpoint_t *op = &tx->in [i].prevout;
        const zc_tx_t *parent = NULL;
        if (pick % 3 == 0 && st->n_batch)
            parent = st->batch [(pick / 3) % st->n_batch];
        else
        if (pick % 3 == 1 && st->n_known) {
            const pool_entry_t *e = pool_find (st->pool, &st->known [(pick / 3) % st->n_known]);
            parent = e ? e->tx : NULL;
        }
        if (parent) {
            op->txid = parent->txid;
            op->index = s_next (s) % parent->n_out;
        }
        else {
            memset (op->txid.b, (int) (pick & 0xff), 32);
            op->txid.b [31] = (uint8_t) s_next (s);
            op->index = s_next (s) % 4;
        }
    }
    for (uint32_t o = 0; o < n_out; o++)
        tx->out [o].amount = 1000 + o;
    zc_tx_finalize (tx);
    return tx;
}

//  What the mempool refuses before the limits are checked, as the
//  transaction never joins the ones in flight: a duplicate, or a spend of
//  an outpoint the pool or an earlier member of the batch spends
static bool
s_refused_early (s_state_t *st, const zc_tx_t *tx)
{
    if (pool_find (st->pool, &tx->txid) || s_flight (st, &tx->txid))
        return true;
    for (uint32_t k = 0; k < tx->n_in; k++) {
        const zc_outpoint_t *op = &tx->in [k].prevout;
        for (uint32_t j = 0; j < k; j++)
            if (zc_hash_eq (&tx->in [j].prevout.txid, &op->txid)
            &&  tx->in [j].prevout.index == op->index)
                return true;            //  the same outpoint twice (a loose check refuses it)
        if (pool_spender (st->pool, op))
            return true;
        for (size_t i = 0; i < st->n_batch; i++)
            for (uint32_t m = 0; m < st->batch [i]->n_in; m++)
                if (zc_hash_eq (&st->batch [i]->in [m].prevout.txid, &op->txid)
                &&  st->batch [i]->in [m].prevout.index == op->index)
                    return true;
    }
    return false;
}

//  A batch: admit_check each in order, then commit as s_commit does
static void
s_batch (s_script_t *s, s_state_t *st)
{
    size_t n = 1 + s_next (s) % BATCH_MAX;
    zc_err_t early [BATCH_MAX];
    uint64_t fee [BATCH_MAX];
    admit_t *admit = admit_new (st->pool, s_flight, st);
    if (!admit)
        return;
    st->n_batch = 0;
    for (size_t i = 0; i < n; i++) {
        zc_tx_t *tx = s_make_tx (s, st);
        if (s_refused_early (st, tx)) {
            zc_tx_destroy (&tx);
            continue;
        }
        early [st->n_batch] = admit_check (admit, tx);
        fee [st->n_batch] = s_next (s) * 50;
        st->batch [st->n_batch++] = tx;
    }
    n = st->n_batch;
    admit_destroy (&admit);
    bool exact = true;                  //  nothing before failed at commit
    bool added [BATCH_MAX] = { false };
    for (size_t i = 0; i < n; i++) {
        zc_tx_t *tx = st->batch [i];
        //  an in-flight parent that is not in the pool: refused before commit
        bool parents_in = true;
        for (uint32_t k = 0; k < tx->n_in; k++)
            for (size_t j = 0; j < i; j++)
                if (zc_hash_eq (&tx->in [k].prevout.txid, &st->batch [j]->txid) && !added [j])
                    parents_in = false;
        if (!parents_in) {
            if (early [i] == ZC_OK)
                exact = false;
            continue;
        }
        if (early [i] != ZC_OK && !exact)
            continue;                   //  nothing to compare against
        zc_hash_t txid = tx->txid;
        zc_tx_t *copy = zc_tx_dup (tx);
        uint8_t *raw = malloc (4);
        zc_err_t rc = pool_add (st->pool, &copy, &raw, fee [i], st->now++);
        if (early [i] == ZC_OK && s_limit_reason (rc))
            s_fail ("admit_check passed what pool_add refuses", early [i], rc);
        if (early [i] != ZC_OK && s_limit_reason (early [i]) && rc != early [i] && exact)
            s_fail ("admit_check and pool_add disagree", early [i], rc);
        if (rc == ZC_OK) {
            added [i] = true;
            s_remember (st, &txid);
        }
        else
        if (early [i] == ZC_OK)
            exact = false;
    }
    zc_hash_t keep [BATCH_MAX];
    size_t n_keep = 0;
    for (size_t i = 0; i < n; i++)
        if (added [i])
            keep [n_keep++] = st->batch [i]->txid;
    pool_trim (st->pool, keep, n_keep);
    for (size_t i = 0; i < n; i++)
        zc_tx_destroy (&st->batch [i]);
    st->n_batch = 0;
}

static void
s_template (s_script_t *s, s_state_t *st)
{
    const pool_entry_t *chosen [256];
    uint64_t fees;
    size_t max_bytes = 200 + s_next (s) * 200;
    size_t n = pool_template (st->pool, max_bytes, chosen, 256, &fees);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += chosen [i]->tx->size;
        for (uint32_t k = 0; k < chosen [i]->tx->n_in; k++) {
            const zc_outpoint_t *op = &chosen [i]->tx->in [k].prevout;
            const pool_entry_t *parent = pool_find (st->pool, &op->txid);
            if (!parent || op->index >= parent->tx->n_out)
                continue;
            bool before = false;
            for (size_t j = 0; j < i && !before; j++)
                before = chosen [j] == parent;
            if (!before)
                s_fail ("a template put a child before its parent", ZC_OK, ZC_OK);
        }
    }
    if (bytes > max_bytes)
        s_fail ("a template is over its byte limit", ZC_OK, ZC_OK);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_script_t s = { data, size, 0 };
    pool_limits_t limits = { 2 + s_next (&s) % 6, 2 + s_next (&s) % 6, 3000 + s_next (&s) * 100 };
    s_state_t st;
    memset (&st, 0, sizeof st);
    st.pool = pool_new (20000 + s_next (&s) * 400, &limits);
    if (!st.pool)
        return 0;
    while (s.at < s.size) {
        uint32_t op = s_next (&s) % 8;
        const zc_hash_t *some = st.n_known ? &st.known [s_next (&s) % st.n_known] : NULL;
        if (op <= 2)
            s_batch (&s, &st);
        else
        if (op == 3 && some)
            pool_remove (st.pool, some, POOL_CONFLICT);
        else
        if (op == 4 && some) {
            //  a block: the entry confirmed, or a rival spending its first input
            const pool_entry_t *e = pool_find (st.pool, some);
            if (e) {
                zc_tx_t *tx = zc_tx_dup (e->tx);
                if (s_next (&s) % 2) {
                    tx->out [0].amount ^= 1;
                    zc_tx_finalize (tx);
                }
                pool_block_connected (st.pool, &tx, 1);
                zc_tx_destroy (&tx);
            }
        }
        else
        if (op == 5)
            pool_expire (st.pool, st.now, s_next (&s));
        else
        if (op == 6 && some)
            pool_undo (st.pool, some);
        else
            s_template (&s, &st);
        char err [256];
        if (pool_check (st.pool, err, sizeof err)) {
            fprintf (stderr, "fuzz_pool: %s\n", err);
            abort ();
        }
    }
    pool_destroy (&st.pool);
    return 0;
}
