/*  zc_utxo.c - UTXO view: an open-addressing table of outpoints with a journal
 *
 *  Entries are never removed from the table, only marked, so a probe chain
 *  never breaks; a rehash drops entries that hold nothing. Every change
 *  during a connect or disconnect is journalled, and a failure replays the
 *  journal backwards, which is what makes "nothing changed" true.
 */
#include "zc_utxo.h"
#include "zc_amount.h"
#include "zc_check.h"

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
};

static uint64_t
s_hash (const zc_outpoint_t *op)
{
    //  txids are hashes already: their bytes are as good as random
    uint64_t h = zc_le64 (op->txid.b) ^ zc_le64 (op->txid.b + 8);
    return (h ^ op->index) * 0x9e3779b97f4a7c15ULL;
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
    self->table = calloc (self->capacity, sizeof *self->table);
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

static int
s_grow (zc_utxo_t *self)
{
    size_t capacity = self->capacity * 2;
    s_entry_t *table = calloc (capacity, sizeof *table);
    if (!table)
        return -1;
    size_t used = 0;
    for (size_t i = 0; i < self->capacity; i++) {
        s_entry_t *e = &self->table [i];
        if (e->state == E_EMPTY || (e->state == E_NONE && !e->dirty))
            continue;
        *s_slot (table, capacity, &e->op) = *e;
        used++;
    }
    free (self->table);
    self->table = table;
    self->capacity = capacity;
    self->used = used;
    return 0;
}

//  The entry for op, created as E_NONE if absent. NULL when out of memory.
static s_entry_t *
s_entry (zc_utxo_t *self, const zc_outpoint_t *op)
{
    s_entry_t *e = s_slot (self->table, self->capacity, op);
    if (e->state != E_EMPTY)
        return e;
    if ((self->used + 1) * 10 > self->capacity * 7) {
        if (s_grow (self))
            return NULL;
        e = s_slot (self->table, self->capacity, op);
    }
    memset (e, 0, sizeof *e);
    e->op = *op;
    e->state = E_NONE;
    self->used++;
    return e;
}

static void
s_count (zc_utxo_t *self, uint8_t from, uint8_t to)
{
    if (from == E_UNSPENT)
        self->unspent--;
    if (to == E_UNSPENT)
        self->unspent++;
}

//  Change an entry, remembering what it was while journaling.
static int
s_set (zc_utxo_t *self, const zc_outpoint_t *op, uint8_t state, const zc_coin_t *coin)
{
    s_entry_t *e = s_entry (self, op);
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
        *coin = e->coin;
        return E_UNSPENT;
    }
    if (e->state == E_SPENT)
        return E_SPENT;
    if (!self->fetch)
        return E_NONE;
    int rc = self->fetch (self->arg, op, coin);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return E_NONE;
    //  cache what the store said, clean: it is not a change
    e = s_entry (self, op);
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

static zc_err_t
s_add_outputs (zc_utxo_t *self, const zc_tx_t *tx, uint32_t height)
{
    for (uint32_t o = 0; o < tx->n_out; o++) {
        zc_outpoint_t op = { tx->txid, o };
        zc_coin_t coin, existing;
        memset (&coin, 0, sizeof coin);
        coin.amount = tx->out [o].amount;
        memcpy (coin.pubkey, tx->out [o].pubkey, ZC_PUBKEY_SIZE);
        coin.height = height;
        coin.coinbase = zc_tx_is_coinbase (tx);
        int state = s_lookup (self, &op, &existing);
        if (state < 0)
            return ZC_ERR_INTERNAL;
        if (state == E_UNSPENT)
            return ZC_ERR_DUPLICATE;
        if (s_set (self, &op, E_UNSPENT, &coin))
            return ZC_ERR_INTERNAL;
    }
    return ZC_OK;
}

static zc_err_t
s_spend_inputs (zc_utxo_t *self, const zc_tx_t *tx, uint32_t height,
                const zc_params_t *params, zc_coin_t *undo, uint64_t *fee)
{
    uint64_t in_total = 0, out_total = 0;
    for (uint32_t i = 0; i < tx->n_in; i++) {
        const zc_outpoint_t *op = &tx->in [i].prevout;
        int state = s_lookup (self, op, &undo [i]);
        if (state < 0)
            return ZC_ERR_INTERNAL;
        if (state == E_SPENT)
            return ZC_ERR_DOUBLE_SPEND;
        if (state != E_UNSPENT)
            return ZC_ERR_UNKNOWN_INPUT;
        if (!zc_coin_mature (&undo [i], height, params->coinbase_maturity))
            return ZC_ERR_IMMATURE_SPEND;
        if (!zc_amount_add (&in_total, undo [i].amount))
            return ZC_ERR_BAD_AMOUNT;
        if (s_set (self, op, E_SPENT, NULL))
            return ZC_ERR_INTERNAL;
    }
    for (uint32_t o = 0; o < tx->n_out; o++)
        if (!zc_amount_add (&out_total, tx->out [o].amount))
            return ZC_ERR_BAD_AMOUNT;
    if (out_total > in_total)
        return ZC_ERR_BAD_AMOUNT;
    *fee = in_total - out_total;
    return ZC_OK;
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
    if (block->n_tx == 0 || !zc_tx_is_coinbase (block->tx [0]))
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
