/*  zc_utxo.c - UTXO view: an open-addressing table of outpoints with a journal
 *
 *  Entries are never removed from the table, only marked, so a probe chain
 *  never breaks; a rehash drops entries that hold nothing. Every change
 *  during a connect or disconnect is journalled, and a failure replays the
 *  journal backwards, which is what makes "nothing changed" true.
 *
 *  Not a zc_keytable, though it hashes as one does: a keytable slot holds a
 *  pointer to its value, and storage's coin cache (millions of coins) would
 *  pay a second cache miss and an allocation for every coin behind it.
 *  Here the coin, its state and its age sit in the slot, and the rehash
 *  that grows or trims the table is also where old clean coins are left
 *  behind (zc_utxo_trim), which a keytable's delete-by-shifting has no use
 *  for.
 */
#include "zc_utxo.h"
#include "zc_amount.h"
#include "zc_check.h"
#include "zc_hashkey.h"

#include <stdlib.h>
#include <string.h>

typedef enum {
    E_EMPTY = 0,                        //  slot never used
    E_NONE,                             //  slot names an outpoint we know nothing of
    E_UNSPENT,
    E_SPENT
} s_state_t;

typedef struct {
    zc_outpoint_t op;
    zc_coin_t coin;
    uint8_t state;
    bool dirty;
    uint32_t stamp;                     //  the view's clock when last used
} s_entry_t;

typedef struct {
    zc_outpoint_t op;
    zc_coin_t coin;
    uint8_t state;
    bool dirty;
} s_change_t;

struct _zc_utxo_t {
    zc_utxo_fetch_fn *fetch;
    void *arg;
    s_entry_t *table;
    size_t capacity;                    //  power of two
    size_t used;                        //  slots not E_EMPTY
    size_t unspent;
    s_change_t *journal;
    size_t journal_size;
    size_t journal_cap;
    bool journaling;
    size_t limit;                       //  bytes the table may hold; 0: no bound
    uint32_t clock;                     //  one tick per zc_utxo_apply into this view
};

//  The table's hash of op. A txid is a hash, but one its author can grind:
//  a few million tries give a transaction whose outputs land where others'
//  did, and confirmed outputs piled into one run would make every probe
//  there walk it. So outpoints are hashed as zc_keytable's keys are, with
//  SipHash under the process's secret key (zc_hashkey_hash)
static uint64_t
s_hash (const zc_outpoint_t *op)
{
    uint8_t key [ZC_HASHKEY_OUTPOINT];
    zc_outpoint_key (op, key);
    return zc_hashkey_hash (key, sizeof key);
}

//  A table of capacity empty slots. Written, not calloc'ed: a large calloc
//  maps zero pages that the first probe reads and the first insert then
//  copies, two faults a page and a TLB shootdown across the process's
//  threads for the second (8 % of storage's CPU while its cache grew)
static s_entry_t *
s_table_new (size_t capacity)
{
    s_entry_t *table = malloc (capacity * sizeof *table);
    if (table)
        memset (table, 0, capacity * sizeof *table);
    return table;
}

zc_utxo_t *
zc_utxo_new (zc_utxo_fetch_fn *fetch, void *arg)
{
    zc_utxo_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->fetch = fetch;
    self->arg = arg;
    self->capacity = 1024;
    self->table = s_table_new (self->capacity);
    if (!self->table) {
        free (self);
        return NULL;
    }
    return self;
}

void
zc_utxo_destroy (zc_utxo_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_utxo_t *self = *self_p;
    free (self->table);
    free (self->journal);
    free (self);
    *self_p = NULL;
}

//  Slot of op, or the empty slot where it would go.
static s_entry_t *
s_slot (s_entry_t *table, size_t capacity, const zc_outpoint_t *op)
{
    size_t mask = capacity - 1;
    for (size_t i = s_hash (op) & mask; ; i = (i + 1) & mask) {
        s_entry_t *e = &table [i];
        if (e->state == E_EMPTY || zc_outpoint_eq (&e->op, op))
            return e;
    }
}

static void
s_count (zc_utxo_t *self, uint8_t from, uint8_t to)
{
    if (from == E_UNSPENT)
        self->unspent--;
    if (to == E_UNSPENT)
        self->unspent++;
}

//  Rehash into a table of capacity slots, dropping slots that hold nothing
//  and, unless keep_all, clean entries last used before stamp keep_from.
static int
s_rehash (zc_utxo_t *self, size_t capacity, bool keep_all, uint32_t keep_from)
{
    s_entry_t *table = s_table_new (capacity);
    if (!table)
        return -1;
    size_t used = 0;
    for (size_t i = 0; i < self->capacity; i++) {
        s_entry_t *e = &self->table [i];
        if (e->state == E_EMPTY || (e->state == E_NONE && !e->dirty))
            continue;
        if (!keep_all && !e->dirty && (int32_t) (e->stamp - keep_from) < 0) {
            s_count (self, e->state, E_EMPTY);
            continue;
        }
        *s_slot (table, capacity, &e->op) = *e;
        used++;
    }
    free (self->table);
    self->table = table;
    self->capacity = capacity;
    self->used = used;
    return 0;
}

int
zc_utxo_reserve (zc_utxo_t *self, size_t n)
{
    size_t capacity = self->capacity;
    while ((self->used + n) * 10 > capacity * 7)
        capacity *= 2;
    return capacity == self->capacity ? 0 : s_rehash (self, capacity, true, 0);
}

//  True when a table of capacity slots stays within the view's bound
static bool
s_fits (const zc_utxo_t *self, size_t capacity)
{
    return self->limit == 0 || capacity * sizeof (s_entry_t) <= self->limit;
}

//  The entry for op, created as E_NONE if absent. NULL when out of memory,
//  or for a clean entry (one that only remembers the store) the table
//  would have to grow past its bound for.
static s_entry_t *
s_entry (zc_utxo_t *self, const zc_outpoint_t *op, bool clean)
{
    s_entry_t *e = s_slot (self->table, self->capacity, op);
    if (e->state != E_EMPTY) {
        e->stamp = self->clock;
        return e;
    }
    if ((self->used + 1) * 10 > self->capacity * 7) {
        if (clean && !s_fits (self, self->capacity * 2))
            return NULL;
        if (s_rehash (self, self->capacity * 2, true, 0))
            return NULL;
        e = s_slot (self->table, self->capacity, op);
    }
    memset (e, 0, sizeof *e);
    e->op = *op;
    e->state = E_NONE;
    e->stamp = self->clock;
    self->used++;
    return e;
}

//  Change an entry, remembering what it was while journaling.
static int
s_set (zc_utxo_t *self, const zc_outpoint_t *op, uint8_t state, const zc_coin_t *coin)
{
    s_entry_t *e = s_entry (self, op, false);
    if (!e)
        return -1;
    if (self->journaling) {
        if (self->journal_size == self->journal_cap) {
            size_t cap = self->journal_cap ? self->journal_cap * 2 : 256;
            s_change_t *grown = realloc (self->journal, cap * sizeof *grown);
            if (!grown)
                return -1;
            self->journal = grown;
            self->journal_cap = cap;
        }
        s_change_t *c = &self->journal [self->journal_size++];
        c->op = e->op;
        c->coin = e->coin;
        c->state = e->state;
        c->dirty = e->dirty;
    }
    s_count (self, e->state, state);
    e->state = state;
    if (coin)
        e->coin = *coin;
    e->dirty = true;
    return 0;
}

static void
s_begin (zc_utxo_t *self)
{
    self->journal_size = 0;
    self->journaling = true;
}

static void
s_commit (zc_utxo_t *self)
{
    self->journaling = false;
    self->journal_size = 0;
}

static void
s_rollback (zc_utxo_t *self)
{
    while (self->journal_size > 0) {
        s_change_t *c = &self->journal [--self->journal_size];
        //  the entry exists: s_set created it, and growth keeps changed entries
        s_entry_t *e = s_slot (self->table, self->capacity, &c->op);
        s_count (self, e->state, c->state);
        e->state = c->state;
        e->coin = c->coin;
        e->dirty = c->dirty;
    }
    self->journaling = false;
}

//  State of op: E_UNSPENT (coin filled), E_SPENT in this view, E_NONE
//  unknown anywhere, or -1 when the backing store failed.
static int
s_lookup (zc_utxo_t *self, const zc_outpoint_t *op, zc_coin_t *coin)
{
    s_entry_t *e = s_slot (self->table, self->capacity, op);
    if (e->state == E_UNSPENT) {
        e->stamp = self->clock;
        *coin = e->coin;
        return E_UNSPENT;
    }
    if (e->state == E_SPENT) {
        e->stamp = self->clock;
        return E_SPENT;
    }
    if (!self->fetch)
        return E_NONE;
    int rc = self->fetch (self->arg, op, coin);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return E_NONE;
    //  cache what the store said, clean: it is not a change
    e = s_entry (self, op, true);
    if (e) {
        e->coin = *coin;
        s_count (self, e->state, E_UNSPENT);
        e->state = E_UNSPENT;
    }
    return E_UNSPENT;
}

int
zc_utxo_get (zc_utxo_t *self, const zc_outpoint_t *outpoint, zc_coin_t *coin)
{
    int state = s_lookup (self, outpoint, coin);
    return state < 0 ? -1 : state == E_UNSPENT ? 1 : 0;
}

int
zc_utxo_add (zc_utxo_t *self, const zc_outpoint_t *outpoint, const zc_coin_t *coin)
{
    zc_coin_t existing;
    int state = s_lookup (self, outpoint, &existing);
    if (state != E_NONE && state != E_SPENT)
        return -1;
    return s_set (self, outpoint, E_UNSPENT, coin);
}

//  The outputs are new: nobody looks for them first, here or in the store.
//  Two transactions with one txid cannot both connect: a coinbase's txid
//  holds its block's height (checked before any output is added), and any
//  other spends at least one input, which the first of the two has spent.
//  So no output is ever created twice (Bitcoin Core skips its BIP30 look-up
//  where BIP34 makes coinbases unique, for the same reason).
static zc_err_t
s_add_outputs (zc_utxo_t *self, const zc_tx_t *tx, uint32_t height)
{
    for (uint32_t o = 0; o < tx->n_out; o++) {
        zc_outpoint_t op = { tx->txid, o };
        zc_coin_t coin;
        memset (&coin, 0, sizeof coin);
        coin.amount = tx->out [o].amount;
        memcpy (coin.pubkey, tx->out [o].pubkey, ZC_PUBKEY_SIZE);
        coin.height = height;
        coin.coinbase = zc_tx_is_coinbase (tx);
        if (s_set (self, &op, E_UNSPENT, &coin))
            return ZC_ERR_INTERNAL;
    }
    return ZC_OK;
}

static zc_err_t
s_spend_inputs (zc_utxo_t *self, const zc_tx_t *tx, uint32_t height,
                const zc_params_t *params, zc_coin_t *undo, uint64_t *fee)
{
    if (tx->n_in == 0)
        return ZC_ERR_EMPTY;            //  what makes its txid unique (s_add_outputs)
    for (uint32_t i = 0; i < tx->n_in; i++) {
        const zc_outpoint_t *op = &tx->in [i].prevout;
        int state = s_lookup (self, op, &undo [i]);
        if (state < 0)
            return ZC_ERR_INTERNAL;
        if (state == E_SPENT)
            return ZC_ERR_DOUBLE_SPEND;
        if (state != E_UNSPENT)
            return ZC_ERR_UNKNOWN_INPUT;
        if (s_set (self, op, E_SPENT, NULL))
            return ZC_ERR_INTERNAL;
    }
    return zc_check_spends (tx, undo, height, params->coinbase_maturity, fee, NULL);
}

static uint32_t
s_count_inputs (const zc_block_t *block)
{
    uint64_t n = 0;
    for (uint32_t t = 1; t < block->n_tx; t++)
        n += block->tx [t]->n_in;
    return (uint32_t) n;                //  bounded by the block size limit
}

zc_err_t
zc_utxo_connect (zc_utxo_t *self, const zc_block_t *block, uint32_t height,
                 const zc_params_t *params, zc_undo_t **undo_p, uint64_t *fees_p)
{
    *undo_p = NULL;
    if (block->n_tx == 0 || !zc_tx_is_coinbase (block->tx [0])
        || zc_check_coinbase_height (block, height) != ZC_OK)
        return ZC_ERR_BAD_COINBASE;
    uint32_t n_spent = s_count_inputs (block);
    zc_undo_t *undo = calloc (1, sizeof *undo + (size_t) n_spent * sizeof (zc_coin_t));
    if (!undo)
        return ZC_ERR_INTERNAL;
    undo->n = n_spent;
    undo->coins = (zc_coin_t *) (undo + 1);

    s_begin (self);
    uint64_t fees = 0;
    uint32_t spent = 0;
    zc_err_t rc = s_add_outputs (self, block->tx [0], height);
    for (uint32_t t = 1; t < block->n_tx && rc == ZC_OK; t++) {
        const zc_tx_t *tx = block->tx [t];
        uint64_t fee = 0;
        rc = s_spend_inputs (self, tx, height, params, undo->coins + spent, &fee);
        if (rc == ZC_OK && !zc_amount_add (&fees, fee))
            rc = ZC_ERR_BAD_AMOUNT;
        if (rc == ZC_OK)
            rc = s_add_outputs (self, tx, height);
        spent += tx->n_in;
    }
    if (rc == ZC_OK)
        rc = zc_check_coinbase (block, height, fees, params);
    if (rc != ZC_OK) {
        s_rollback (self);
        free (undo);
        return rc;
    }
    s_commit (self);
    *undo_p = undo;
    if (fees_p)
        *fees_p = fees;
    return ZC_OK;
}

zc_err_t
zc_utxo_disconnect (zc_utxo_t *self, const zc_block_t *block, const zc_undo_t *undo)
{
    if (block->n_tx == 0 || undo->n != s_count_inputs (block))
        return ZC_ERR_INTERNAL;
    s_begin (self);
    uint32_t spent = undo->n;
    for (uint32_t t = block->n_tx; t-- > 0; ) {
        const zc_tx_t *tx = block->tx [t];
        for (uint32_t o = 0; o < tx->n_out; o++) {
            zc_outpoint_t op = { tx->txid, o };
            zc_coin_t coin;
            if (s_lookup (self, &op, &coin) != E_UNSPENT || s_set (self, &op, E_SPENT, NULL)) {
                s_rollback (self);
                return ZC_ERR_INTERNAL;
            }
        }
        if (t == 0)
            break;                      //  a coinbase spends nothing
        for (uint32_t i = tx->n_in; i-- > 0; ) {
            const zc_coin_t *coin = &undo->coins [--spent];
            if (s_set (self, &tx->in [i].prevout, E_UNSPENT, coin)) {
                s_rollback (self);
                return ZC_ERR_INTERNAL;
            }
        }
    }
    s_commit (self);
    return ZC_OK;
}

int
zc_utxo_peek (zc_utxo_t *self, const zc_outpoint_t *outpoint, zc_coin_t *coin)
{
    s_entry_t *e = s_slot (self->table, self->capacity, outpoint);
    if (e->state != E_UNSPENT && e->state != E_SPENT)
        return -1;
    e->stamp = self->clock;
    if (e->state == E_SPENT)
        return 0;
    *coin = e->coin;
    return 1;
}

int
zc_utxo_remember (zc_utxo_t *self, const zc_outpoint_t *outpoint, const zc_coin_t *coin)
{
    s_entry_t *e = s_entry (self, outpoint, true);
    if (!e)
        return -1;
    uint8_t state = coin ? E_UNSPENT : E_SPENT;
    s_count (self, e->state, state);
    e->state = state;
    if (coin)
        e->coin = *coin;
    return 0;
}

//  Visitor of zc_utxo_apply: the change is in the store now, so clean
static void
s_apply_visit (void *arg, const zc_outpoint_t *outpoint, const zc_coin_t *coin)
{
    //  an entry the bound keeps out is simply not cached: the store has it
    zc_utxo_remember ((zc_utxo_t *) arg, outpoint, coin);
}

void
zc_utxo_apply (zc_utxo_t *self, zc_utxo_t *into)
{
    into->clock++;
    zc_utxo_each_dirty (self, s_apply_visit, into);
}

void
zc_utxo_set_limit (zc_utxo_t *self, size_t max_bytes)
{
    self->limit = max_bytes;
}

size_t
zc_utxo_memory (const zc_utxo_t *self)
{
    return sizeof *self + self->capacity * sizeof (s_entry_t)
           + self->journal_cap * sizeof (s_change_t);
}

bool
zc_utxo_full (const zc_utxo_t *self)
{
    return self->limit && (self->used + 1) * 10 > self->capacity * 7
           && !s_fits (self, self->capacity * 2);
}

size_t
zc_utxo_trim (zc_utxo_t *self)
{
    if (!self->limit)
        return 0;
    //  the largest table within the bound, kept half as full as it may get
    size_t capacity = 1024;
    while (s_fits (self, capacity * 2))
        capacity *= 2;
    if (capacity > self->capacity)
        capacity = self->capacity;
    size_t keep = capacity * 7 / 20;
    //  newest first: count entries by age, then take whole ages while they fit
    enum { AGES = 256 };
    size_t by_age [AGES] = { 0 };
    size_t kept = 0;
    for (size_t i = 0; i < self->capacity; i++) {
        const s_entry_t *e = &self->table [i];
        if (e->state == E_EMPTY || (e->state == E_NONE && !e->dirty))
            continue;
        if (e->dirty)
            kept++;                     //  changes are never dropped
        else {
            uint32_t age = self->clock - e->stamp;
            by_age [age < AGES ? age : AGES - 1]++;
        }
    }
    uint32_t age = 0;
    while (age < AGES && kept + by_age [age] <= keep)
        kept += by_age [age++];
    if (age == AGES && capacity == self->capacity)
        return 0;                       //  nothing to drop, no smaller table
    while (kept * 10 > capacity * 7)
        capacity *= 2;
    size_t before = self->used;
    //  age ages fit: keep what was used at clock - age + 1 or later
    if (s_rehash (self, capacity, age == AGES, self->clock - age + 1))
        return 0;
    return before - self->used;
}

void
zc_utxo_each_dirty (zc_utxo_t *self, zc_utxo_visit_fn *visit, void *arg)
{
    for (size_t i = 0; i < self->capacity; i++) {
        s_entry_t *e = &self->table [i];
        if (e->dirty && (e->state == E_UNSPENT || e->state == E_SPENT || e->state == E_NONE))
            visit (arg, &e->op, e->state == E_UNSPENT ? &e->coin : NULL);
    }
}

void
zc_utxo_clear_dirty (zc_utxo_t *self)
{
    for (size_t i = 0; i < self->capacity; i++)
        self->table [i].dirty = false;
}

void
zc_utxo_each (zc_utxo_t *self, zc_utxo_visit_fn *visit, void *arg)
{
    for (size_t i = 0; i < self->capacity; i++)
        if (self->table [i].state == E_UNSPENT)
            visit (arg, &self->table [i].op, &self->table [i].coin);
}

size_t
zc_utxo_size (const zc_utxo_t *self)
{
    return self->unspent;
}

void
zc_undo_destroy (zc_undo_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);                 //  coins share the allocation
        *self_p = NULL;
    }
}

void
zc_coin_encode (const zc_coin_t *coin, uint8_t out [ZC_COIN_BYTES])
{
    zc_put_le64 (out, coin->amount);
    memcpy (out + 8, coin->pubkey, ZC_PUBKEY_SIZE);
    zc_put_le32 (out + 40, coin->height);
    out [44] = coin->coinbase ? 1 : 0;
}

zc_err_t
zc_coin_decode (const uint8_t *data, size_t size, zc_coin_t *coin)
{
    memset (coin, 0, sizeof *coin);
    if (!data || size != ZC_COIN_BYTES || data [44] > 1)
        return ZC_ERR_MALFORMED;
    coin->amount = zc_le64 (data);
    memcpy (coin->pubkey, data + 8, ZC_PUBKEY_SIZE);
    coin->height = zc_le32 (data + 40);
    coin->coinbase = data [44] == 1;
    return ZC_OK;
}

uint8_t *
zc_undo_encode (const zc_undo_t *self, size_t *size_p)
{
    zc_writer_t writer;
    zc_writer_init (&writer, 9 + (size_t) self->n * ZC_COIN_BYTES);
    zc_writer_varint (&writer, self->n);
    for (uint32_t i = 0; i < self->n; i++) {
        uint8_t raw [ZC_COIN_BYTES];
        zc_coin_encode (&self->coins [i], raw);
        zc_writer_bytes (&writer, raw, sizeof raw);
    }
    if (writer.bad) {
        zc_writer_free (&writer);
        *size_p = 0;
        return NULL;
    }
    *size_p = writer.size;
    return writer.data;
}

zc_err_t
zc_undo_decode (const uint8_t *data, size_t size, zc_undo_t **undo_p)
{
    *undo_p = NULL;
    zc_reader_t reader;
    zc_reader_init (&reader, data, size);
    uint64_t n = zc_reader_varint (&reader, zc_reader_left (&reader) / ZC_COIN_BYTES);
    if (reader.bad || zc_reader_left (&reader) != n * ZC_COIN_BYTES)
        return ZC_ERR_MALFORMED;
    zc_undo_t *undo = calloc (1, sizeof *undo + (size_t) n * sizeof (zc_coin_t));
    if (!undo)
        return ZC_ERR_INTERNAL;
    undo->n = (uint32_t) n;
    undo->coins = (zc_coin_t *) (undo + 1);
    for (uint32_t i = 0; i < undo->n; i++)
        if (zc_coin_decode (zc_reader_skip (&reader, ZC_COIN_BYTES), ZC_COIN_BYTES,
                            &undo->coins [i]) != ZC_OK) {
            free (undo);
            return ZC_ERR_MALFORMED;
        }
    *undo_p = undo;
    return ZC_OK;
}
