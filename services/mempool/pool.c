/*  pool.c - unconfirmed transactions by txid, by spent outpoint, by package
 *
 *  Two hash tables, both zc_keytable (the key sits in the slot: one probe
 *  and no allocation an entry): by txid, which also walks every entry in
 *  turn, and by spent outpoint, looked up for every input of every
 *  transaction admitted or confirmed. Each entry links its in-pool
 *  parents and children; walks along those links mark what they visited
 *  with a generation number instead of clearing marks, and stop at the
 *  limits, so their cost is bounded by the limits and never by the pool.
 */
#include "pool.h"

#include "zc_buf.h"
#include "zc_hashkey.h"
#include "zc_keytable.h"

#include <assert.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

typedef struct _s_entry_t s_entry_t;

struct _s_entry_t {
    pool_entry_t pub;
    uint8_t (*spent) [36];              //  outpoint key of each input
    s_entry_t **parents;                //  pub.n_parents, distinct
    s_entry_t **children;               //  pub.n_children of cap_children
    uint32_t cap_children;
    uint64_t seen;                      //  walk mark: visited by walk number seen
    uint64_t chosen;                    //  template mark
    uint64_t kept;                      //  trim mark: an ancestor of a new entry
    bool doomed;                        //  being removed with its descendants
};

//  Entries collected by a walk, in the order found
typedef struct {
    s_entry_t **v;
    size_t n, cap;
} s_set_t;

struct _pool_t {
    zc_keytable_t *by_txid;             //  txid -> s_entry_t; owns the entries
    zc_keytable_t *by_spent;            //  outpoint key -> s_entry_t spending it
    pool_limits_t limits;
    size_t bytes;                       //  canonical bytes of the entries
    size_t usage;                       //  their memory, estimated: what max_bytes caps
    size_t max_bytes;
    uint64_t floor_rate;                //  while full: rate of the last evicted
    uint64_t changes;
    uint64_t visits;
    uint64_t gen;                       //  the last walk's number
    s_set_t walk;                       //  scratch for walks
    s_set_t doomed;                     //  scratch for removals
    pool_removed_fn *removed;
    void *removed_arg;
};

pool_t *
pool_new (size_t max_bytes, const pool_limits_t *limits)
{
    assert (limits && limits->max_ancestors > 0 && limits->max_descendants > 0);
    pool_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->max_bytes = max_bytes;
    self->limits = *limits;
    self->by_txid = zc_keytable_new (ZC_HASHKEY_HASH);
    self->by_spent = zc_keytable_new (ZC_HASHKEY_OUTPOINT);
    //  no package outgrows the limits, so neither do the walks over one
    size_t most = limits->max_ancestors > limits->max_descendants ? limits->max_ancestors
                                                                  : limits->max_descendants;
    self->walk.cap = self->doomed.cap = most + 64;
    self->walk.v = malloc (self->walk.cap * sizeof *self->walk.v);
    self->doomed.v = malloc (self->doomed.cap * sizeof *self->doomed.v);
    if (!self->by_txid || !self->by_spent || !self->walk.v || !self->doomed.v)
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
        free (entry->pub.coins);
        free (entry->spent);
        free (entry->parents);
        free (entry->children);
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
        size_t cursor = 0;
        for (s_entry_t *e; (e = zc_keytable_next (self->by_txid, &cursor)); )
            s_entry_free (&e);
        zc_keytable_destroy (&self->by_txid);
    }
    zc_keytable_destroy (&self->by_spent);
    free (self->walk.v);
    free (self->doomed.v);
    free (self);
    *self_p = NULL;
}

void
pool_set_removed (pool_t *self, pool_removed_fn *fn, void *arg)
{
    self->removed = fn;
    self->removed_arg = arg;
}

const pool_limits_t *
pool_limits (const pool_t *self)
{
    return &self->limits;
}

size_t
pool_count (const pool_t *self)
{
    return zc_keytable_size (self->by_txid);
}

size_t
pool_bytes (const pool_t *self)
{
    return self->bytes;
}

size_t
pool_usage (const pool_t *self)
{
    return self->usage;
}

uint64_t
pool_changes (const pool_t *self)
{
    return self->changes;
}

uint64_t
pool_visits (const pool_t *self)
{
    return self->visits;
}

uint64_t
pool_rate (uint64_t fee, size_t size)
{
    return size ? fee * 1000 / size : 0;
}

static s_entry_t *
s_lookup (const pool_t *self, const zc_hash_t *txid)
{
    return zc_keytable_lookup (self->by_txid, txid->b);
}

const pool_entry_t *
pool_find (const pool_t *self, const zc_hash_t *txid)
{
    s_entry_t *e = s_lookup (self, txid);
    return e ? &e->pub : NULL;
}

const pool_entry_t *
pool_spender (const pool_t *self, const zc_outpoint_t *outpoint)
{
    uint8_t key [36];
    zc_outpoint_key (outpoint, key);
    s_entry_t *e = zc_keytable_lookup (self->by_spent, key);
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

//  Memory an entry takes, estimated: the bytes, the decoded transaction,
//  the entry with its spent keys and links, the coins it spends (kept for
//  the api's prevouts), and the hash-table slots that index it. Capping this rather than the bytes keeps the process's
//  memory, not just the transactions' size, under the limit (a small
//  transaction costs about four times its size in memory).
static size_t
s_usage (const zc_tx_t *tx)
{
    return tx->size + sizeof (zc_tx_t)
         + tx->n_in * (sizeof (zc_txin_t) + 36 + 64 + 2 * sizeof (void *) + sizeof (zc_coin_t))
         + tx->n_out * sizeof (zc_txout_t) + sizeof (s_entry_t) + 64 + 4 * 16;
}

zc_err_t
pool_admits (const pool_t *self, const zc_tx_t *tx, uint64_t rate)
{
    if (self->usage + s_usage (tx) > self->max_bytes && rate <= self->floor_rate)
        return ZC_ERR_MEMPOOL_FULL;
    return ZC_OK;
}

// ---------------------------------------------------------------------------
//  walks

static int
s_set_push (s_set_t *set, s_entry_t *e)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        s_entry_t **grown = realloc (set->v, cap * sizeof *grown);
        if (!grown)
            return -1;
        set->v = grown;
        set->cap = cap;
    }
    set->v [set->n++] = e;
    return 0;
}

//  Start a walk: a new mark, an empty set
static void
s_walk_begin (pool_t *self, s_set_t *set)
{
    self->gen++;
    set->n = 0;
}

//  Add e to the walk's set unless it was seen already; 0 or -1 (memory)
static int
s_walk_add (pool_t *self, s_set_t *set, s_entry_t *e)
{
    if (e->seen == self->gen)
        return 0;
    e->seen = self->gen;
    self->visits++;
    return s_set_push (set, e);
}

//  Append to set, breadth first, the in-pool ancestors (up) or descendants
//  of what it holds; stop once it holds more than max. Entries marked
//  chosen == skip are neither taken nor walked through (0: none).
//  0, or -1 out of memory.
static int
s_walk (pool_t *self, s_set_t *set, bool up, size_t max, uint64_t skip)
{
    for (size_t i = 0; i < set->n && set->n <= max; i++) {
        s_entry_t *e = set->v [i];
        uint32_t n = up ? e->pub.n_parents : e->pub.n_children;
        s_entry_t **next = up ? e->parents : e->children;
        for (uint32_t k = 0; k < n; k++)
            if ((!skip || next [k]->chosen != skip) && s_walk_add (self, set, next [k]))
                return -1;
    }
    return 0;
}

//  The ancestors of e (not e) into the walk set, at most max + 1
static int
s_ancestors (pool_t *self, s_entry_t *e, size_t max)
{
    s_walk_begin (self, &self->walk);
    e->seen = self->gen;                //  never itself (there are no cycles, but be sure)
    for (uint32_t k = 0; k < e->pub.n_parents; k++)
        if (s_walk_add (self, &self->walk, e->parents [k]))
            return -1;
    return s_walk (self, &self->walk, true, max, 0);
}

size_t
pool_ancestors (pool_t *self, const pool_entry_t *entry, const pool_entry_t **out, size_t max)
{
    s_entry_t *e = (s_entry_t *) entry;   //  pub is the first member
    if (s_ancestors (self, e, max))
        return max + 1;                 //  out of memory: say "too many", which refuses
    size_t n = self->walk.n < max + 1 ? self->walk.n : max + 1;
    for (size_t i = 0; i < n && i < max; i++)
        out [i] = &self->walk.v [i]->pub;
    return n;
}

// ---------------------------------------------------------------------------
//  replacement

//  Is parent an in-pool parent of one of the first n entries of set?
static bool
s_parent_of_any (s_entry_t *const *set, size_t n, const s_entry_t *parent)
{
    for (size_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < set [i]->pub.n_parents; k++)
            if (set [i]->parents [k] == parent)
                return true;
    return false;
}

zc_err_t
pool_replacement (pool_t *self, const zc_tx_t *tx, uint64_t fee, uint64_t min_rate,
                  pool_replacement_t *out)
{
    memset (out, 0, sizeof *out);
    s_set_t *set = &self->walk;
    s_walk_begin (self, set);
    for (uint32_t i = 0; i < tx->n_in; i++) {
        uint8_t key [36];
        zc_outpoint_key (&tx->in [i].prevout, key);
        s_entry_t *e = zc_keytable_lookup (self->by_spent, key);
        if (e && s_walk_add (self, set, e))
            return ZC_ERR_INTERNAL;
    }
    out->n_conflicts = set->n;
    if (set->n == 0)
        return ZC_OK;
    uint64_t rate = pool_rate (fee, tx->size);
    for (size_t i = 0; i < out->n_conflicts; i++)
        if (rate <= set->v [i]->pub.rate) {
            out->detail = "its fee rate is not above that of a transaction it replaces";
            return ZC_ERR_INSUFFICIENT_FEE;
        }
    if (s_walk (self, set, false, POOL_MAX_REPLACED, 0))
        return ZC_ERR_INTERNAL;
    out->n_evicted = set->n;
    if (set->n > POOL_MAX_REPLACED) {
        out->detail = "it would replace more than 100 transactions";
        return ZC_ERR_DOUBLE_SPEND;
    }
    for (size_t i = 0; i < set->n; i++) {
        out->evicted_fees += set->v [i]->pub.fee;
        out->evicted_bytes += set->v [i]->pub.tx->size;
    }
    //  the set's marks still stand: seen == gen is "evicted"
    for (uint32_t i = 0; i < tx->n_in; i++) {
        const s_entry_t *parent = s_lookup (self, &tx->in [i].prevout.txid);
        if (!parent)
            continue;
        if (parent->seen == self->gen) {
            out->detail = "it spends an output of a transaction it replaces";
            return ZC_ERR_DOUBLE_SPEND;
        }
        if (!s_parent_of_any (set->v, out->n_conflicts, parent)) {
            out->detail = "it spends an unconfirmed output the transactions it replaces did not";
            return ZC_ERR_DOUBLE_SPEND;
        }
    }
    uint64_t relay = (min_rate * tx->size + 999) / 1000;
    if (fee < out->evicted_fees) {
        out->detail = "it pays less fee than the transactions it replaces";
        return ZC_ERR_INSUFFICIENT_FEE;
    }
    if (fee - out->evicted_fees < relay) {
        out->detail = "it does not pay the minimum relay fee for its own size above what it replaces";
        return ZC_ERR_INSUFFICIENT_FEE;
    }
    return ZC_OK;
}

// ---------------------------------------------------------------------------
//  removal

static void
s_unlink_child (s_entry_t *parent, s_entry_t *child)
{
    for (uint32_t k = 0; k < parent->pub.n_children; k++)
        if (parent->children [k] == child) {
            parent->children [k] = parent->children [--parent->pub.n_children];
            return;
        }
}

static void
s_unlink_parent (s_entry_t *child, s_entry_t *parent)
{
    for (uint32_t k = 0; k < child->pub.n_parents; k++)
        if (child->parents [k] == parent) {
            child->parents [k] = child->parents [--child->pub.n_parents];
            return;
        }
}

//  Take an entry out of the indexes and free it; its links to entries that
//  stay must be gone already
static void
s_free_entry (pool_t *self, s_entry_t *entry)
{
    for (uint32_t i = 0; i < entry->pub.tx->n_in; i++)
        zc_keytable_remove (self->by_spent, entry->spent [i], entry);
    zc_keytable_remove (self->by_txid, entry->pub.tx->txid.b, entry);
    self->bytes -= entry->pub.tx->size;
    self->usage -= s_usage (entry->pub.tx);
    self->changes++;
    s_entry_free (&entry);
}

int
pool_set_coins (pool_t *self, const zc_hash_t *txid, const zc_coin_t *coins)
{
    s_entry_t *e = s_lookup (self, txid);
    if (!e)
        return -1;
    size_t size = (size_t) e->pub.tx->n_in * sizeof *coins;
    zc_coin_t *copy = malloc (size ? size : 1);
    if (!copy)
        return -1;
    memcpy (copy, coins, size);
    free (e->pub.coins);
    e->pub.coins = copy;
    return 0;
}

static int
s_deeper_first (const void *a, const void *b)
{
    const s_entry_t *x = *(s_entry_t *const *) a, *y = *(s_entry_t *const *) b;
    return x->pub.n_ancestors > y->pub.n_ancestors ? -1 : x->pub.n_ancestors < y->pub.n_ancestors;
}

//  Remove root and all its descendants. Each doomed entry leaves the
//  descendant packages of its surviving ancestors; survivors are never
//  descendants (a descendant of a doomed entry is doomed). The callback
//  hears root as why and the rest as child_why, children before parents;
//  root_quiet skips the callback for root.
static void
s_remove_tree (pool_t *self, s_entry_t *root, pool_remove_t why, pool_remove_t child_why,
               bool root_quiet)
{
    s_set_t *doomed = &self->doomed;
    s_walk_begin (self, doomed);
    //  a part of the tree would leave survivors linked to freed entries;
    //  the sets are allocated for the limits, so this cannot fail in practice
    if (s_walk_add (self, doomed, root) || s_walk (self, doomed, false, SIZE_MAX, 0))
        return;
    for (size_t i = 0; i < doomed->n; i++)
        doomed->v [i]->doomed = true;
    for (size_t i = 0; i < doomed->n; i++) {
        s_entry_t *r = doomed->v [i];
        if (r->pub.n_parents == 0)
            continue;
        //  its surviving ancestors lose it from their descendant packages
        if (s_ancestors (self, r, SIZE_MAX) == 0)
            for (size_t k = 0; k < self->walk.n; k++) {
                s_entry_t *x = self->walk.v [k];
                if (x->doomed)
                    continue;
                x->pub.n_descendants--;
                x->pub.descendant_bytes -= r->pub.tx->size;
                x->pub.descendant_fees -= r->pub.fee;
            }
    }
    //  unlink from the survivors while no doomed entry is freed yet: in a
    //  tree that joins (a child of two doomed parents) the walk's order is
    //  not children first, and a parent may go before its child
    for (size_t i = 0; i < doomed->n; i++) {
        s_entry_t *r = doomed->v [i];
        for (uint32_t k = 0; k < r->pub.n_parents; k++)
            if (!r->parents [k]->doomed)
                s_unlink_child (r->parents [k], r);
    }
    //  more ancestors first: every descendant before its ancestors
    qsort (doomed->v, doomed->n, sizeof *doomed->v, s_deeper_first);
    for (size_t i = 0; i < doomed->n; i++) {
        s_entry_t *r = doomed->v [i];
        if (self->removed && !(r == root && root_quiet))
            self->removed (self->removed_arg, &r->pub, r == root ? why : child_why);
        s_free_entry (self, r);
    }
}

void
pool_remove (pool_t *self, const zc_hash_t *txid, pool_remove_t why)
{
    s_entry_t *e = s_lookup (self, txid);
    if (e)
        s_remove_tree (self, e, why, why, false);
}

void
pool_undo (pool_t *self, const zc_hash_t *txid)
{
    s_entry_t *e = s_lookup (self, txid);
    if (e)
        s_remove_tree (self, e, POOL_REORG, POOL_REORG, true);
}

void
pool_remove_spenders (pool_t *self, const zc_tx_t *tx, pool_remove_t why)
{
    for (uint32_t o = 0; o < tx->n_out; o++) {
        zc_outpoint_t op = { tx->txid, o };
        uint8_t key [36];
        zc_outpoint_key (&op, key);
        s_entry_t *child = zc_keytable_lookup (self->by_spent, key);
        if (child)
            s_remove_tree (self, child, why, why, false);
    }
}

size_t
pool_replace (pool_t *self, const zc_tx_t *tx)
{
    size_t before = zc_keytable_size (self->by_txid);
    for (uint32_t i = 0; i < tx->n_in; i++) {
        uint8_t key [36];
        zc_outpoint_key (&tx->in [i].prevout, key);
        s_entry_t *e = zc_keytable_lookup (self->by_spent, key);
        if (e)
            s_remove_tree (self, e, POOL_REPLACED, POOL_REPLACED, false);
    }
    return before - zc_keytable_size (self->by_txid);
}

//  e is in a block: it leaves, its children stay (now spending a confirmed
//  output). Its own in-pool ancestors must be confirmed too (a valid block
//  holds them first); should they still be here they leave first, so that
//  e leaves with no ancestors and its descendants lose just e.
static void
s_confirm (pool_t *self, s_entry_t *e)
{
    while (e->pub.n_parents) {
        //  the oldest ancestor first: one with no parents of its own
        s_entry_t *a = e->parents [0];
        while (a->pub.n_parents)
            a = a->parents [0];
        s_confirm (self, a);            //  a has no parents: no deeper recursion
    }
    s_walk_begin (self, &self->walk);
    e->seen = self->gen;
    for (uint32_t k = 0; k < e->pub.n_children; k++)
        s_walk_add (self, &self->walk, e->children [k]);
    s_walk (self, &self->walk, false, SIZE_MAX, 0);
    for (size_t k = 0; k < self->walk.n; k++) {
        s_entry_t *d = self->walk.v [k];
        d->pub.n_ancestors--;
        d->pub.ancestor_bytes -= e->pub.tx->size;
        d->pub.ancestor_fees -= e->pub.fee;
    }
    for (uint32_t k = 0; k < e->pub.n_children; k++)
        s_unlink_parent (e->children [k], e);
    e->pub.n_children = 0;
    if (self->removed)
        self->removed (self->removed_arg, &e->pub, POOL_CONFIRMED);
    s_free_entry (self, e);
}

void
pool_block_connected (pool_t *self, zc_tx_t *const *txs, uint32_t n_tx)
{
    for (uint32_t t = 0; t < n_tx; t++) {
        const zc_tx_t *tx = txs [t];
        s_entry_t *e = s_lookup (self, &tx->txid);
        if (e) {
            s_confirm (self, e);
            continue;
        }
        if (zc_tx_is_coinbase (tx))
            continue;
        for (uint32_t i = 0; i < tx->n_in; i++) {
            uint8_t key [36];
            zc_outpoint_key (&tx->in [i].prevout, key);
            s_entry_t *rival = zc_keytable_lookup (self->by_spent, key);
            if (rival)
                s_remove_tree (self, rival, POOL_CONFLICT, POOL_CONFLICT, false);
        }
    }
}

//  Copy out the txids of entries that pass keep(), then remove each with
//  its descendants (removal frees entries and their txids)
static void
s_remove_where (pool_t *self, bool (*keep) (const s_entry_t *e, uint64_t arg), uint64_t arg,
                pool_remove_t why)
{
    size_t n = 0, cap = 0;
    zc_hash_t *ids = NULL;
    size_t cursor = 0;
    for (s_entry_t *e; (e = zc_keytable_next (self->by_txid, &cursor)); ) {
        if (keep (e, arg))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            zc_hash_t *grown = realloc (ids, cap * sizeof *grown);
            if (!grown)
                break;                  //  the rest goes next time
            ids = grown;
        }
        ids [n++] = e->pub.tx->txid;
    }
    for (size_t i = 0; i < n; i++)
        pool_remove (self, &ids [i], why);
    free (ids);
}

static bool
s_young (const s_entry_t *e, uint64_t cutoff)
{
    return e->pub.time_ms >= cutoff;
}

void
pool_expire (pool_t *self, uint64_t now_ms, uint64_t max_age_ms)
{
    if (now_ms >= max_age_ms)
        s_remove_where (self, s_young, now_ms - max_age_ms, POOL_EXPIRED);
}

// ---------------------------------------------------------------------------
//  adding

zc_err_t
pool_add (pool_t *self, zc_tx_t **tx_p, uint8_t **raw_p, uint64_t fee, uint64_t now_ms)
{
    zc_tx_t *tx = *tx_p;
    const pool_limits_t *lim = &self->limits;
    zc_err_t rc = ZC_OK;
    if (s_lookup (self, &tx->txid))
        rc = ZC_ERR_DUPLICATE;
    if (rc == ZC_OK)
        //  after a reorganisation: spenders of its outputs came while it
        //  was confirmed; they go, and the caller submits them again
        pool_remove_spenders (self, tx, POOL_REORG);
    for (uint32_t i = 0; rc == ZC_OK && i < tx->n_in; i++)
        if (pool_spender (self, &tx->in [i].prevout))
            rc = ZC_ERR_DOUBLE_SPEND;
    //  its ancestors: the parents, then theirs, at most the limit
    s_set_t *anc = &self->walk;
    size_t n_parents = 0;
    if (rc == ZC_OK) {
        s_walk_begin (self, anc);
        for (uint32_t i = 0; rc == ZC_OK && i < tx->n_in; i++) {
            s_entry_t *parent = s_lookup (self, &tx->in [i].prevout.txid);
            if (parent && tx->in [i].prevout.index >= parent->pub.tx->n_out)
                rc = ZC_ERR_UNKNOWN_INPUT;
            else
            if (parent && s_walk_add (self, anc, parent))
                rc = ZC_ERR_INTERNAL;
        }
        n_parents = anc->n;
        if (rc == ZC_OK && s_walk (self, anc, true, lim->max_ancestors, 0))
            rc = ZC_ERR_INTERNAL;
    }
    //  in an order that does not depend on the walk's (admit_check's is
    //  the same): the ancestors' count and bytes, then every ancestor's
    //  descendant count, then their bytes
    uint64_t anc_bytes = tx->size, anc_fees = fee;
    if (rc == ZC_OK && anc->n + 1 > lim->max_ancestors)
        rc = ZC_ERR_TOO_LONG_CHAIN;
    for (size_t k = 0; rc == ZC_OK && k < anc->n; k++) {
        anc_bytes += anc->v [k]->pub.tx->size;
        anc_fees += anc->v [k]->pub.fee;
    }
    if (rc == ZC_OK && anc_bytes > lim->max_package_bytes)
        rc = ZC_ERR_PACKAGE_TOO_LARGE;
    for (size_t k = 0; rc == ZC_OK && k < anc->n; k++)
        if (anc->v [k]->pub.n_descendants + 1 > lim->max_descendants)
            rc = ZC_ERR_TOO_MANY_DESCENDANTS;
    for (size_t k = 0; rc == ZC_OK && k < anc->n; k++)
        if (anc->v [k]->pub.descendant_bytes + tx->size > lim->max_package_bytes)
            rc = ZC_ERR_PACKAGE_TOO_LARGE;
    //  room for its keys first: once linked in, its add cannot fail
    if (rc == ZC_OK && (zc_keytable_reserve (self->by_spent, tx->n_in)
                    ||  zc_keytable_reserve (self->by_txid, 1)))
        rc = ZC_ERR_INTERNAL;
    s_entry_t *entry = rc == ZC_OK ? calloc (1, sizeof *entry) : NULL;
    if (entry) {
        entry->spent = malloc ((size_t) tx->n_in * 36);
        entry->parents = malloc ((n_parents ? n_parents : 1) * sizeof *entry->parents);
    }
    if (rc == ZC_OK && (!entry || !entry->spent || !entry->parents)) {
        s_entry_free (&entry);          //  tx is not its yet
        rc = ZC_ERR_INTERNAL;
    }
    for (size_t k = 0; rc == ZC_OK && k < n_parents; k++) {
        s_entry_t *parent = anc->v [k];
        if (parent->pub.n_children == parent->cap_children) {
            uint32_t cap = parent->cap_children ? parent->cap_children * 2 : 2;
            s_entry_t **grown = realloc (parent->children, cap * sizeof *grown);
            if (!grown) {
                //  undo the links made so far
                for (size_t j = 0; j < k; j++)
                    s_unlink_child (anc->v [j], entry);
                s_entry_free (&entry);
                rc = ZC_ERR_INTERNAL;
                break;
            }
            parent->children = grown;
            parent->cap_children = cap;
        }
        parent->children [parent->pub.n_children++] = entry;
        entry->parents [k] = parent;
    }
    if (rc != ZC_OK) {
        zc_tx_destroy (tx_p);
        free (*raw_p);
        *raw_p = NULL;
        return rc;
    }
    pool_entry_t *pub = &entry->pub;
    pub->tx = tx;
    pub->raw = *raw_p;
    pub->fee = fee;
    pub->time_ms = now_ms;
    pub->rate = pool_rate (fee, tx->size);
    pub->n_parents = (uint32_t) n_parents;
    pub->n_ancestors = (uint32_t) anc->n + 1;
    pub->ancestor_bytes = anc_bytes;
    pub->ancestor_fees = anc_fees;
    pub->n_descendants = 1;
    pub->descendant_bytes = tx->size;
    pub->descendant_fees = fee;
    for (size_t k = 0; k < anc->n; k++) {
        pool_entry_t *x = &anc->v [k]->pub;
        x->n_descendants++;
        x->descendant_bytes += tx->size;
        x->descendant_fees += fee;
    }
    *tx_p = NULL;
    *raw_p = NULL;
    zc_keytable_insert (self->by_txid, tx->txid.b, entry);
    for (uint32_t i = 0; i < tx->n_in; i++) {
        zc_outpoint_key (&tx->in [i].prevout, entry->spent [i]);
        zc_keytable_insert (self->by_spent, entry->spent [i], entry);
    }
    self->bytes += tx->size;
    self->usage += s_usage (tx);
    self->changes++;
    return ZC_OK;
}

// ---------------------------------------------------------------------------
//  eviction

//  What evicting e (with its descendants) gives up, per kB: the better of
//  its own rate and its package's, so a cheap parent of a rich child stays
static uint64_t
s_descendant_score (const s_entry_t *e)
{
    uint64_t package = pool_rate (e->pub.descendant_fees, e->pub.descendant_bytes);
    return package > e->pub.rate ? package : e->pub.rate;
}

static int
s_score_ascending (const void *a, const void *b)
{
    const s_entry_t *x = *(s_entry_t *const *) a, *y = *(s_entry_t *const *) b;
    uint64_t sx = s_descendant_score (x), sy = s_descendant_score (y);
    if (sx != sy)
        return sx < sy ? -1 : 1;
    //  of equal score, the newest goes first
    if (x->pub.time_ms != y->pub.time_ms)
        return x->pub.time_ms > y->pub.time_ms ? -1 : 1;
    return memcmp (x->pub.tx->txid.b, y->pub.tx->txid.b, 32);
}

void
pool_trim (pool_t *self, const zc_hash_t *keep, size_t n_keep)
{
    if (self->usage <= self->max_bytes) {
        if (self->usage < self->max_bytes / 2)
            self->floor_rate = 0;       //  room again: anyone paying the relay fee
        return;
    }
    //  mark the new entries' ancestors
    uint64_t mark = ++self->gen;
    for (size_t i = 0; i < n_keep; i++) {
        s_entry_t *e = s_lookup (self, &keep [i]);
        if (e && s_ancestors (self, e, SIZE_MAX) == 0)
            for (size_t k = 0; k < self->walk.n; k++)
                self->walk.v [k]->kept = mark;
    }
    //  sorting the whole pool is paid once per trim, which frees 5% of the
    //  limit, so it is not paid again for every later arrival
    size_t n = zc_keytable_size (self->by_txid);
    s_entry_t **all = malloc (n * sizeof *all);
    zc_hash_t *ids = malloc (n * sizeof *ids);
    if (!all || !ids) {
        free (all);
        free (ids);
        return;
    }
    size_t i = 0;
    size_t cursor = 0;
    for (s_entry_t *e; (e = zc_keytable_next (self->by_txid, &cursor)); )
        all [i++] = e;
    qsort (all, n, sizeof *all, s_score_ascending);
    //  copy ids: removing a tree frees entries later in the array
    for (i = 0; i < n; i++)
        ids [i] = all [i]->pub.tx->txid;
    size_t target = self->max_bytes / 20 * 19;
    for (i = 0; i < n && self->usage > target; i++) {
        s_entry_t *e = s_lookup (self, &ids [i]);
        if (!e || e->kept == mark)
            continue;                   //  gone already, or a new entry's ancestor
        self->floor_rate = s_descendant_score (e);
        s_remove_tree (self, e, POOL_EVICTED, POOL_EVICTED, false);
    }
    free (all);
    free (ids);
}

// ---------------------------------------------------------------------------
//  templates

//  An entry's place in the template's order, its keys copied out of the
//  entry and its transaction: the sort compares these side by side instead
//  of following two pointers (and dividing) at every comparison
typedef struct {
    uint64_t rate;                      //  ancestor fee rate
    int64_t time_ms;
    uint64_t txid_head;                 //  the txid's first 8 bytes, big-endian
    uint32_t n_ancestors;
    s_entry_t *entry;
} s_rank_t;

static void
s_rank_set (s_rank_t *rank, s_entry_t *e)
{
    rank->rate = pool_rate (e->pub.ancestor_fees, e->pub.ancestor_bytes);
    rank->time_ms = e->pub.time_ms;
    rank->txid_head = zc_be64 (e->pub.tx->txid.b);
    rank->n_ancestors = e->pub.n_ancestors;
    rank->entry = e;
}

//  Ancestor fee rate, highest first; of equal rate fewer ancestors first
//  (a parent before its child), then the oldest, then by txid
static int
s_ancestor_descending (const void *a, const void *b)
{
    const s_rank_t *x = a, *y = b;
    if (x->rate != y->rate)
        return x->rate > y->rate ? -1 : 1;
    if (x->n_ancestors != y->n_ancestors)
        return x->n_ancestors < y->n_ancestors ? -1 : 1;
    if (x->time_ms != y->time_ms)
        return x->time_ms < y->time_ms ? -1 : 1;
    if (x->txid_head != y->txid_head)
        return x->txid_head < y->txid_head ? -1 : 1;
    return memcmp (x->entry->pub.tx->txid.b, y->entry->pub.tx->txid.b, 32);
}

//  Fewer ancestors first: a valid order for a package, as an ancestor
//  always has fewer ancestors than its descendant
static int
s_depth_ascending (const void *a, const void *b)
{
    const s_entry_t *x = *(s_entry_t *const *) a, *y = *(s_entry_t *const *) b;
    return x->pub.n_ancestors < y->pub.n_ancestors ? -1 : x->pub.n_ancestors > y->pub.n_ancestors;
}

size_t
pool_template (pool_t *self, size_t max_bytes, const pool_entry_t **out, size_t max_out,
               uint64_t *fees_p)
{
    *fees_p = 0;
    size_t n = zc_keytable_size (self->by_txid);
    if (n == 0 || max_out == 0)
        return 0;
    s_rank_t *all = malloc (n * sizeof *all);
    if (!all)
        return 0;
    size_t i = 0;
    size_t cursor = 0;
    for (s_entry_t *e; (e = zc_keytable_next (self->by_txid, &cursor)); )
        s_rank_set (&all [i++], e);
    qsort (all, n, sizeof *all, s_ancestor_descending);
    uint64_t mark = ++self->gen;
    size_t chosen = 0, bytes = 0;
    for (i = 0; i < n && chosen < max_out && bytes + ZC_TX_MIN_BYTES <= max_bytes; i++) {
        s_entry_t *e = all [i].entry;
        if (e->chosen == mark || bytes + e->pub.tx->size > max_bytes)
            continue;
        //  the package: e and its ancestors not chosen yet (the chosen
        //  ones' ancestors are all chosen, so the walk stops at them)
        s_set_t *package = &self->walk;
        s_walk_begin (self, package);
        if (s_walk_add (self, package, e) || s_walk (self, package, true, SIZE_MAX, mark))
            break;
        size_t package_bytes = 0;
        for (size_t k = 0; k < package->n; k++)
            package_bytes += package->v [k]->pub.tx->size;
        if (bytes + package_bytes > max_bytes || chosen + package->n > max_out)
            continue;
        qsort (package->v, package->n, sizeof *package->v, s_depth_ascending);
        for (size_t k = 0; k < package->n; k++) {
            s_entry_t *p = package->v [k];
            p->chosen = mark;
            out [chosen++] = &p->pub;
            *fees_p += p->pub.fee;
        }
        bytes += package_bytes;
    }
    free (all);
    return chosen;
}

void
pool_each (pool_t *self, bool (*visit) (void *arg, const pool_entry_t *entry), void *arg)
{
    size_t cursor = 0;
    for (s_entry_t *e; (e = zc_keytable_next (self->by_txid, &cursor)); )
        if (!visit (arg, &e->pub))
            break;
}

// ---------------------------------------------------------------------------
//  self-check

typedef struct {
    uint32_t count;
    uint64_t bytes, fees;
} s_sum_t;

//  The package of e found from the transactions: ancestors through the
//  inputs (up) or descendants through the spends of its outputs
static s_sum_t
s_recount (pool_t *self, s_entry_t *e, bool up)
{
    s_sum_t sum = { 0, 0, 0 };
    zhashx_t *seen = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    s_set_t queue = { NULL, 0, 0 };
    if (!seen || s_set_push (&queue, e))
        goto done;
    zhashx_insert (seen, e->pub.tx->txid.b, e);
    for (size_t q = 0; q < queue.n; q++) {
        s_entry_t *x = queue.v [q];
        sum.count++;
        sum.bytes += x->pub.tx->size;
        sum.fees += x->pub.fee;
        uint32_t n = up ? x->pub.tx->n_in : x->pub.tx->n_out;
        for (uint32_t i = 0; i < n; i++) {
            s_entry_t *next;
            if (up) {
                //  as pool_add links: only outputs the parent has
                next = s_lookup (self, &x->pub.tx->in [i].prevout.txid);
                if (next && x->pub.tx->in [i].prevout.index >= next->pub.tx->n_out)
                    next = NULL;
            }
            else {
                zc_outpoint_t op = { x->pub.tx->txid, i };
                uint8_t key [36];
                zc_outpoint_key (&op, key);
                next = zc_keytable_lookup (self->by_spent, key);
            }
            if (next && !zhashx_lookup (seen, next->pub.tx->txid.b)) {
                zhashx_insert (seen, next->pub.tx->txid.b, next);
                if (s_set_push (&queue, next))
                    goto done;
            }
        }
    }
done:
    zhashx_destroy (&seen);
    free (queue.v);
    return sum;
}

static int
    s_check_entries (pool_t *self, s_entry_t *const *all, size_t n_all, char *err, size_t err_size);

//  Is x among the n pointers of v?
static bool
s_holds (s_entry_t *const *v, uint32_t n, const s_entry_t *x)
{
    for (uint32_t k = 0; k < n; k++)
        if (v [k] == x)
            return true;
    return false;
}

int
pool_check (pool_t *self, char *err, size_t err_size)
{
    //  s_check_entries takes the entries as an array
    s_set_t all = { NULL, 0, 0 };
    size_t cursor = 0;
    for (s_entry_t *e; (e = zc_keytable_next (self->by_txid, &cursor)); )
        if (s_set_push (&all, e)) {
            free (all.v);
            snprintf (err, err_size, "out of memory");
            return -1;
        }
    int rc = s_check_entries (self, all.v, all.n, err, err_size);
    free (all.v);
    return rc;
}

static int
s_check_entries (pool_t *self, s_entry_t *const *all, size_t n_all, char *err, size_t err_size)
{
    size_t bytes = 0, usage = 0;
    for (size_t i_all = 0; i_all < n_all; i_all++) {
        s_entry_t *e = all [i_all];
        const pool_entry_t *p = &e->pub;
        char id [17];
        for (int i = 0; i < 8; i++)
            snprintf (id + 2 * i, 3, "%02x", p->tx->txid.b [i]);
        bytes += p->tx->size;
        usage += s_usage (p->tx);
        //  parents: exactly the distinct pool transactions its inputs name
        uint32_t parents = 0;
        for (uint32_t i = 0; i < p->tx->n_in; i++) {
            s_entry_t *parent = s_lookup (self, &p->tx->in [i].prevout.txid);
            if (parent && p->tx->in [i].prevout.index >= parent->pub.tx->n_out)
                parent = NULL;
            bool again = false;
            for (uint32_t j = 0; j < i && parent && !again; j++)
                again = zc_hash_eq (&p->tx->in [j].prevout.txid, &p->tx->in [i].prevout.txid);
            if (!parent || again)
                continue;
            parents++;
            if (!s_holds (e->parents, p->n_parents, parent)
            ||  !s_holds (parent->children, parent->pub.n_children, e)) {
                snprintf (err, err_size, "%s: a parent is not linked", id);
                return -1;
            }
            if (zc_keytable_lookup (self->by_spent, e->spent [i]) != e) {
                snprintf (err, err_size, "%s: an input is not indexed", id);
                return -1;
            }
        }
        if (parents != p->n_parents) {
            snprintf (err, err_size, "%s: %u parents linked, %u spent", id, p->n_parents, parents);
            return -1;
        }
        for (uint32_t k = 0; k < p->n_children; k++)
            if (!s_holds (e->children [k]->parents, e->children [k]->pub.n_parents, e)) {
                snprintf (err, err_size, "%s: a child does not link back", id);
                return -1;
            }
        s_sum_t a = s_recount (self, e, true), d = s_recount (self, e, false);
        if (a.count != p->n_ancestors || a.bytes != p->ancestor_bytes || a.fees != p->ancestor_fees) {
            snprintf (err, err_size, "%s: ancestors %u/%llu/%llu kept, %u/%llu/%llu found", id,
                      p->n_ancestors, (unsigned long long) p->ancestor_bytes,
                      (unsigned long long) p->ancestor_fees, a.count, (unsigned long long) a.bytes,
                      (unsigned long long) a.fees);
            return -1;
        }
        if (d.count != p->n_descendants || d.bytes != p->descendant_bytes
        ||  d.fees != p->descendant_fees) {
            snprintf (err, err_size, "%s: descendants %u/%llu/%llu kept, %u/%llu/%llu found", id,
                      p->n_descendants, (unsigned long long) p->descendant_bytes,
                      (unsigned long long) p->descendant_fees, d.count, (unsigned long long) d.bytes,
                      (unsigned long long) d.fees);
            return -1;
        }
        const pool_limits_t *lim = &self->limits;
        if (a.count > lim->max_ancestors || d.count > lim->max_descendants
        ||  a.bytes > lim->max_package_bytes || d.bytes > lim->max_package_bytes) {
            snprintf (err, err_size, "%s: over a limit (%u ancestors, %u descendants, %llu and %llu bytes)",
                      id, a.count, d.count, (unsigned long long) a.bytes, (unsigned long long) d.bytes);
            return -1;
        }
    }
    if (bytes != self->bytes || usage != self->usage) {
        snprintf (err, err_size, "totals: %zu bytes and %zu usage kept, %zu and %zu found",
                  self->bytes, self->usage, bytes, usage);
        return -1;
    }
    return 0;
}
