/*  pool.c - unconfirmed transactions by txid, by spent outpoint, by fee rate
 *
 *  Two hash tables (zc_hashkey) whose keys point into the entries
 *  themselves (the txid, and each input's outpoint key kept in the entry),
 *  so neither table copies or frees a key.
 */
#include "pool.h"

#include "zc_hashkey.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pool_entry_t pub;
    uint8_t (*spent) [36];              //  outpoint key of each input
    bool mark;                          //  scratch: chosen for a template
} s_entry_t;

struct _pool_t {
    zhashx_t *by_txid;                  //  txid -> s_entry_t; owns the entries
    zhashx_t *by_spent;                 //  outpoint key -> s_entry_t spending it
    size_t bytes;                       //  canonical bytes of the entries
    size_t usage;                       //  their memory, estimated: what max_bytes caps
    size_t max_bytes;
    uint32_t max_depth;
    uint64_t floor_rate;                //  while full: rate of the last evicted
    pool_removed_fn *removed;
    void *removed_arg;
};

pool_t *
pool_new (size_t max_bytes, uint32_t max_depth)
{
    pool_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->max_bytes = max_bytes;
    self->max_depth = max_depth;
    self->by_txid = zc_hashkey_table (ZC_HASHKEY_HASH, true);
    self->by_spent = zc_hashkey_table (ZC_HASHKEY_OUTPOINT, true);
    if (!self->by_txid || !self->by_spent)
        pool_destroy (&self);
    return self;
}

static void
s_entry_free (s_entry_t **entry_p)
{
    s_entry_t *entry = *entry_p;
    if (entry) {
        zc_tx_destroy (&entry->pub.tx);
        free (entry->pub.raw);
        free (entry->spent);
        free (entry);
        *entry_p = NULL;
    }
}

void
pool_destroy (pool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pool_t *self = *self_p;
    if (self->by_txid) {
        for (s_entry_t *e = zhashx_first (self->by_txid); e; e = zhashx_next (self->by_txid))
            s_entry_free (&e);
        zhashx_destroy (&self->by_txid);
    }
    zhashx_destroy (&self->by_spent);
    free (self);
    *self_p = NULL;
}

void
pool_set_removed (pool_t *self, pool_removed_fn *fn, void *arg)
{
    self->removed = fn;
    self->removed_arg = arg;
}

size_t
pool_count (const pool_t *self)
{
    return zhashx_size (self->by_txid);
}

size_t
pool_bytes (const pool_t *self)
{
    return self->bytes;
}

uint64_t
pool_rate (uint64_t fee, size_t size)
{
    return size ? fee * 1000 / size : 0;
}

const pool_entry_t *
pool_find (const pool_t *self, const zc_hash_t *txid)
{
    s_entry_t *e = zhashx_lookup (self->by_txid, txid->b);
    return e ? &e->pub : NULL;
}

const pool_entry_t *
pool_spender (const pool_t *self, const zc_outpoint_t *outpoint)
{
    uint8_t key [36];
    zc_outpoint_key (outpoint, key);
    s_entry_t *e = zhashx_lookup (self->by_spent, key);
    return e ? &e->pub : NULL;
}

int
pool_coin (const pool_t *self, const zc_outpoint_t *outpoint, zc_coin_t *coin)
{
    const pool_entry_t *e = pool_find (self, &outpoint->txid);
    if (!e || outpoint->index >= e->tx->n_out)
        return 0;
    memset (coin, 0, sizeof *coin);
    coin->amount = e->tx->out [outpoint->index].amount;
    memcpy (coin->pubkey, e->tx->out [outpoint->index].pubkey, ZC_PUBKEY_SIZE);
    coin->height = UINT32_MAX;
    return 1;
}

//  Depth the transaction would have: 1 + the deepest in-pool parent
static uint32_t
s_depth (const pool_t *self, const zc_tx_t *tx, uint32_t *n_parents)
{
    uint32_t depth = 1, parents = 0;
    for (uint32_t i = 0; i < tx->n_in; i++) {
        const pool_entry_t *parent = pool_find (self, &tx->in [i].prevout.txid);
        if (parent) {
            parents++;
            if (parent->depth + 1 > depth)
                depth = parent->depth + 1;
        }
    }
    if (n_parents)
        *n_parents = parents;
    return depth;
}

//  Memory an entry takes, estimated: the bytes, the decoded transaction,
//  the entry with its spent keys, and the hash-table slots that index it.
//  Capping this rather than the bytes keeps the process's memory, not just
//  the transactions' size, under the limit (a small transaction costs
//  about four times its size in memory).
static size_t
s_usage (const zc_tx_t *tx)
{
    return tx->size + sizeof (zc_tx_t) + tx->n_in * (sizeof (zc_txin_t) + 36 + 64)
         + tx->n_out * sizeof (zc_txout_t) + sizeof (s_entry_t) + 64 + 4 * 16;
}

size_t
pool_usage (const pool_t *self)
{
    return self->usage;
}

zc_err_t
pool_admits (const pool_t *self, const zc_tx_t *tx, uint64_t rate)
{
    if (s_depth (self, tx, NULL) > self->max_depth)
        return ZC_ERR_TOO_LONG_CHAIN;
    if (self->usage + s_usage (tx) > self->max_bytes && rate <= self->floor_rate)
        return ZC_ERR_MEMPOOL_FULL;
    return ZC_OK;
}

//  Unlink and free one entry, telling the callback
static void
s_drop (pool_t *self, s_entry_t *entry, pool_remove_t why)
{
    if (self->removed)
        self->removed (self->removed_arg, &entry->pub, why);
    for (uint32_t i = 0; i < entry->pub.tx->n_in; i++)
        if (zhashx_lookup (self->by_spent, entry->spent [i]) == entry)
            zhashx_delete (self->by_spent, entry->spent [i]);
    zhashx_delete (self->by_txid, entry->pub.tx->txid.b);
    self->bytes -= entry->pub.tx->size;
    self->usage -= s_usage (entry->pub.tx);
    s_entry_free (&entry);
}

//  Remove entry and, first, everything that spends its outputs. Depth is
//  bounded by max_depth, so the recursion is too.
static void
s_remove_tree (pool_t *self, s_entry_t *entry, pool_remove_t why, pool_remove_t child_why)
{
    for (uint32_t o = 0; o < entry->pub.tx->n_out; o++) {
        zc_outpoint_t op = { entry->pub.tx->txid, o };
        uint8_t key [36];
        zc_outpoint_key (&op, key);
        s_entry_t *child = zhashx_lookup (self->by_spent, key);
        if (child)
            s_remove_tree (self, child, child_why, child_why);
    }
    s_drop (self, entry, why);
}

void
pool_remove (pool_t *self, const zc_hash_t *txid, pool_remove_t why)
{
    s_entry_t *e = zhashx_lookup (self->by_txid, txid->b);
    if (e)
        s_remove_tree (self, e, why, why);
}

static int
s_rate_ascending (const void *a, const void *b)
{
    const s_entry_t *x = *(s_entry_t *const *) a, *y = *(s_entry_t *const *) b;
    if (x->pub.rate != y->pub.rate)
        return x->pub.rate < y->pub.rate ? -1 : 1;
    //  of equal rate, the newest goes first
    return x->pub.time_ms > y->pub.time_ms ? -1 : x->pub.time_ms < y->pub.time_ms;
}

//  Over the byte limit: evict the lowest fee rates (with their
//  descendants) down to 95% of the limit, so eviction is not paid again
//  for every later arrival. The newest entry's ancestors are spared.
static void
s_evict (pool_t *self, s_entry_t *keep)
{
    size_t n = zhashx_size (self->by_txid);
    s_entry_t **all = malloc (n * sizeof *all);
    zc_hash_t *ids = malloc (n * sizeof *ids);
    if (!all || !ids) {
        free (all);
        free (ids);
        return;
    }
    size_t i = 0;
    for (s_entry_t *e = zhashx_first (self->by_txid); e; e = zhashx_next (self->by_txid))
        all [i++] = e;
    qsort (all, n, sizeof *all, s_rate_ascending);
    //  copy ids: removing a tree frees entries later in the array
    for (i = 0; i < n; i++)
        ids [i] = all [i]->pub.tx->txid;
    size_t target = self->max_bytes / 20 * 19;
    for (i = 0; i < n && self->usage > target; i++) {
        s_entry_t *e = zhashx_lookup (self->by_txid, ids [i].b);
        if (!e || e == keep || e->pub.depth < keep->pub.depth)
            continue;                   //  gone already, or possibly an ancestor
        self->floor_rate = e->pub.rate;
        s_remove_tree (self, e, POOL_EVICTED, POOL_EVICTED);
    }
    free (all);
    free (ids);
}

zc_err_t
pool_add (pool_t *self, zc_tx_t **tx_p, uint8_t **raw_p, size_t raw_size, uint64_t fee,
          uint64_t now_ms)
{
    zc_tx_t *tx = *tx_p;
    zc_err_t rc = ZC_OK;
    if (zhashx_lookup (self->by_txid, tx->txid.b))
        rc = ZC_ERR_DUPLICATE;
    for (uint32_t i = 0; rc == ZC_OK && i < tx->n_in; i++)
        if (pool_spender (self, &tx->in [i].prevout))
            rc = ZC_ERR_DOUBLE_SPEND;
    s_entry_t *entry = rc == ZC_OK ? calloc (1, sizeof *entry) : NULL;
    if (rc == ZC_OK && entry)
        entry->spent = malloc ((size_t) tx->n_in * 36);
    if (rc == ZC_OK && (!entry || !entry->spent)) {
        free (entry);
        rc = ZC_ERR_INTERNAL;
    }
    if (rc != ZC_OK) {
        zc_tx_destroy (tx_p);
        free (*raw_p);
        *raw_p = NULL;
        return rc;
    }
    entry->pub.tx = tx;
    entry->pub.raw = *raw_p;
    (void) raw_size;
    entry->pub.fee = fee;
    entry->pub.time_ms = now_ms;
    entry->pub.rate = pool_rate (fee, tx->size);
    entry->pub.depth = s_depth (self, tx, &entry->pub.n_parents);
    *tx_p = NULL;
    *raw_p = NULL;
    zhashx_insert (self->by_txid, tx->txid.b, entry);
    for (uint32_t i = 0; i < tx->n_in; i++) {
        zc_outpoint_key (&tx->in [i].prevout, entry->spent [i]);
        zhashx_insert (self->by_spent, entry->spent [i], entry);
    }
    self->bytes += tx->size;
    self->usage += s_usage (tx);
    if (self->usage > self->max_bytes)
        s_evict (self, entry);
    else
    if (self->usage < self->max_bytes / 2)
        self->floor_rate = 0;           //  room again: anyone paying the relay fee
    return ZC_OK;
}

void
pool_block_connected (pool_t *self, zc_tx_t *const *txs, uint32_t n_tx)
{
    for (uint32_t t = 0; t < n_tx; t++) {
        const zc_tx_t *tx = txs [t];
        //  confirmed: drop just the entry; its children stay, now spending
        //  a confirmed output
        s_entry_t *e = zhashx_lookup (self->by_txid, tx->txid.b);
        if (e) {
            s_drop (self, e, POOL_CONFIRMED);
            continue;
        }
        if (zc_tx_is_coinbase (tx))
            continue;
        for (uint32_t i = 0; i < tx->n_in; i++) {
            uint8_t key [36];
            zc_outpoint_key (&tx->in [i].prevout, key);
            s_entry_t *rival = zhashx_lookup (self->by_spent, key);
            if (rival)
                s_remove_tree (self, rival, POOL_CONFLICT, POOL_CONFLICT);
        }
    }
    //  depths shrink when parents confirm; recompute (cheap: one pass per
    //  level, and levels are bounded by max_depth)
    for (s_entry_t *e = zhashx_first (self->by_txid); e; e = zhashx_next (self->by_txid))
        e->pub.depth = 0;
    bool changed = true;
    for (uint32_t pass = 0; changed && pass <= self->max_depth; pass++) {
        changed = false;
        for (s_entry_t *e = zhashx_first (self->by_txid); e; e = zhashx_next (self->by_txid)) {
            uint32_t n_parents;
            uint32_t depth = s_depth (self, e->pub.tx, &n_parents);
            if (depth != e->pub.depth) {
                e->pub.depth = depth;
                e->pub.n_parents = n_parents;
                changed = true;
            }
        }
    }
}

void
pool_expire (pool_t *self, uint64_t now_ms, uint64_t max_age_ms)
{
    if (now_ms < max_age_ms)
        return;
    uint64_t cutoff = now_ms - max_age_ms;
    zlistx_t *old = zlistx_new ();
    for (s_entry_t *e = zhashx_first (self->by_txid); e; e = zhashx_next (self->by_txid))
        if (e->pub.time_ms < cutoff)
            zlistx_add_end (old, e->pub.tx->txid.b);
    //  copy the ids out first: removal frees entries (and their txids)
    size_t n = zlistx_size (old);
    zc_hash_t *ids = malloc ((n ? n : 1) * sizeof *ids);
    size_t i = 0;
    for (uint8_t *id = zlistx_first (old); id && ids; id = zlistx_next (old))
        memcpy (ids [i++].b, id, 32);
    zlistx_destroy (&old);
    for (size_t k = 0; ids && k < i; k++)
        pool_remove (self, &ids [k], POOL_EXPIRED);
    free (ids);
}

static int
s_rate_descending (const void *a, const void *b)
{
    return s_rate_ascending (b, a);
}

//  True when every in-pool parent of e is already chosen
static bool
s_parents_chosen (pool_t *self, const s_entry_t *e)
{
    if (e->pub.n_parents == 0)
        return true;
    for (uint32_t i = 0; i < e->pub.tx->n_in; i++) {
        s_entry_t *parent = zhashx_lookup (self->by_txid, e->pub.tx->in [i].prevout.txid.b);
        if (parent && !parent->mark)
            return false;
    }
    return true;
}

size_t
pool_template (pool_t *self, size_t max_bytes, const pool_entry_t **out, size_t max_out,
               uint64_t *fees_p)
{
    *fees_p = 0;
    size_t n = zhashx_size (self->by_txid);
    if (n == 0 || max_out == 0)
        return 0;
    s_entry_t **all = malloc (n * sizeof *all);
    if (!all)
        return 0;
    size_t i = 0;
    for (s_entry_t *e = zhashx_first (self->by_txid); e; e = zhashx_next (self->by_txid)) {
        e->mark = false;
        all [i++] = e;
    }
    qsort (all, n, sizeof *all, s_rate_descending);
    size_t chosen = 0, bytes = 0;
    //  a child richer than its parent waits for the parent: another pass
    //  picks it up, and passes are bounded by the depth limit
    bool progress = true;
    for (uint32_t pass = 0; progress && pass <= self->max_depth; pass++) {
        progress = false;
        for (i = 0; i < n && chosen < max_out; i++) {
            s_entry_t *e = all [i];
            if (e->mark || bytes + e->pub.tx->size > max_bytes || !s_parents_chosen (self, e))
                continue;
            e->mark = true;
            out [chosen++] = &e->pub;
            bytes += e->pub.tx->size;
            *fees_p += e->pub.fee;
            progress = true;
        }
    }
    free (all);
    return chosen;
}

void
pool_each (pool_t *self, void (*visit) (void *arg, const pool_entry_t *entry), void *arg)
{
    for (s_entry_t *e = zhashx_first (self->by_txid); e; e = zhashx_next (self->by_txid))
        visit (arg, &e->pub);
}
