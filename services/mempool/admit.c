/*  admit.c - package limits across the pool and the transactions in flight
 *
 *  A transaction's ancestors are found from its inputs: a pool parent
 *  brings its whole in-pool ancestry at once (pool_ancestors), an
 *  in-flight parent is expanded through its own inputs. At most the limit
 *  of ancestors is collected, kept in a small array (deduplicated by
 *  scanning it: it never holds more than the limit).
 */
#include "admit.h"

#include "zc_hashkey.h"

#include <stdlib.h>
#include <string.h>

//  What the batch's earlier transactions added below an ancestor
typedef struct {
    uint32_t count;
    uint64_t bytes;
} s_charge_t;

//  One ancestor: a pool entry, or a transaction in flight
typedef struct {
    const zc_hash_t *txid;
    const pool_entry_t *entry;          //  NULL: in flight
    const zc_tx_t *tx;
} s_ancestor_t;

struct _admit_t {
    pool_t *pool;
    admit_flight_fn *flight;
    void *arg;
    zhashx_t *charges;                  //  txid -> s_charge_t (owned)
    s_ancestor_t *anc;                  //  the limit + 1
    const pool_entry_t **scratch;       //  for pool_ancestors
    size_t max;
};

static void
s_charge_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

admit_t *
admit_new (pool_t *pool, admit_flight_fn *flight, void *arg)
{
    admit_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->pool = pool;
    self->flight = flight;
    self->arg = arg;
    self->max = pool_limits (pool)->max_ancestors;
    self->charges = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    self->anc = calloc (self->max + 1, sizeof *self->anc);
    self->scratch = calloc (self->max + 1, sizeof *self->scratch);
    if (!self->charges || !self->anc || !self->scratch) {
        admit_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->charges, s_charge_free);
    return self;
}

void
admit_destroy (admit_t **self_p)
{
    admit_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->charges);
    free (self->anc);
    free (self->scratch);
    free (self);
    *self_p = NULL;
}

static bool
s_known (const s_ancestor_t *anc, size_t n, const zc_hash_t *txid)
{
    for (size_t i = 0; i < n; i++)
        if (zc_hash_eq (anc [i].txid, txid))
            return true;
    return false;
}

//  Add an ancestor unless known; false once there are more than the limit
//  allows (max - 1 besides the transaction itself)
static bool
s_take (admit_t *self, size_t *n, const pool_entry_t *entry, const zc_tx_t *tx)
{
    if (s_known (self->anc, *n, &tx->txid))
        return true;
    if (*n + 1 > self->max - 1)
        return false;
    self->anc [*n].txid = &tx->txid;
    self->anc [*n].entry = entry;
    self->anc [*n].tx = tx;
    (*n)++;
    return true;
}

//  The parents named by tx's inputs, and a pool parent's ancestors with it;
//  false when there are too many
static bool
s_expand (admit_t *self, const zc_tx_t *tx, const zc_hash_t *self_txid, size_t *n)
{
    for (uint32_t i = 0; i < tx->n_in; i++) {
        const zc_outpoint_t *op = &tx->in [i].prevout;
        if (zc_hash_eq (&op->txid, self_txid) || s_known (self->anc, *n, &op->txid))
            continue;
        const pool_entry_t *entry = pool_find (self->pool, &op->txid);
        if (entry) {
            if (op->index >= entry->tx->n_out)
                continue;               //  no such output: not a parent (refused elsewhere)
            if (!s_take (self, n, entry, entry->tx))
                return false;
            size_t up = pool_ancestors (self->pool, entry, self->scratch, self->max);
            if (up > self->max)
                return false;
            for (size_t k = 0; k < up; k++)
                if (!s_take (self, n, self->scratch [k], self->scratch [k]->tx))
                    return false;
            continue;
        }
        const zc_tx_t *parent = self->flight ? self->flight (self->arg, &op->txid) : NULL;
        if (parent && op->index < parent->n_out && !s_take (self, n, NULL, parent))
            return false;
    }
    return true;
}

static s_charge_t
s_charged (admit_t *self, const zc_hash_t *txid)
{
    s_charge_t *c = zhashx_lookup (self->charges, txid->b);
    s_charge_t none = { 0, 0 };
    return c ? *c : none;
}

zc_err_t
admit_check (admit_t *self, const zc_tx_t *tx)
{
    const pool_limits_t *lim = pool_limits (self->pool);
    size_t n = 0;
    if (!s_expand (self, tx, &tx->txid, &n))
        return ZC_ERR_TOO_LONG_CHAIN;
    //  in-flight ancestors bring their own parents (found in order: the
    //  array grows while it is read)
    for (size_t i = 0; i < n; i++)
        if (!self->anc [i].entry && !s_expand (self, self->anc [i].tx, &tx->txid, &n))
            return ZC_ERR_TOO_LONG_CHAIN;
    //  the same checks, in the same order, as pool_add's
    uint64_t anc_bytes = tx->size;
    for (size_t i = 0; i < n; i++)
        anc_bytes += self->anc [i].tx->size;
    if (anc_bytes > lim->max_package_bytes)
        return ZC_ERR_PACKAGE_TOO_LARGE;
    for (size_t i = 0; i < n; i++) {
        const s_ancestor_t *a = &self->anc [i];
        uint32_t below = a->entry ? a->entry->n_descendants : 1;
        if (below + s_charged (self, a->txid).count + 1 > lim->max_descendants)
            return ZC_ERR_TOO_MANY_DESCENDANTS;
    }
    for (size_t i = 0; i < n; i++) {
        const s_ancestor_t *a = &self->anc [i];
        uint64_t bytes = a->entry ? a->entry->descendant_bytes : a->tx->size;
        if (bytes + s_charged (self, a->txid).bytes + tx->size > lim->max_package_bytes)
            return ZC_ERR_PACKAGE_TOO_LARGE;
    }
    for (size_t i = 0; i < n; i++) {
        s_charge_t *c = zhashx_lookup (self->charges, self->anc [i].txid->b);
        if (!c) {
            c = calloc (1, sizeof *c);
            if (!c || zhashx_insert (self->charges, self->anc [i].txid->b, c)) {
                free (c);
                return ZC_ERR_INTERNAL;
            }
        }
        c->count++;
        c->bytes += tx->size;
    }
    return ZC_OK;
}
