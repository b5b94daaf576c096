/*  chain.c - block tree, best chain and persisted UTXO set over RocksDB */
#include "chain.h"
#include "db.h"
#include "zc_buf.h"
#include "zc_check.h"
#include "zc_log.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_RECORD 117                //  header 80 | height 4 | status 1 | work 32
#define EVENT_RECORD 37                 //  type 1 | hash 32 | height 4
#define BLOCKSTATS_RECORD 20            //  tx count 4 | size 4 | fees 8 | fee bytes 4
#define ADDRTX_KEY 68                   //  pubkey 32 | inverted height 4 | txid 32
#define ADDRESS_KEY (32 + ZC_OUTPOINT_BYTES)    //  pubkey 32 | outpoint
#define TXINDEX_KEY 32                  //  txid

struct _chain_t {
    const zc_params_t *params;
    db_t *db;
    chain_node_t **map;                 //  open addressing by hash
    size_t map_cap;
    size_t map_used;
    chain_node_t **best_chain;          //  best_chain [h] = block at height h
    size_t best_len;
    size_t best_cap;
    chain_node_t *best;                 //  the valid block with most work
    uint64_t event_seq;
    uint64_t utxo_count;
    uint64_t utxo_total;
    zc_block_t *last_block;             //  last accepted: spares a re-decode
    zc_utxo_t *cache;                   //  coins as the store holds them, bounded
    uint64_t cache_hits;                //  coin look-ups the cache answered
    uint64_t cache_misses;              //  ... and those that went to RocksDB
    uint64_t arrivals;                  //  blocks indexed in this run
    uint64_t lost_steps;                //  behind the tip note at open (without sync)
};

// ---------------------------------------------------------------------------
//  block index in memory

static size_t
s_slot (const zc_hash_t *hash, size_t cap)
{
    return (size_t) zc_le64 (hash->b) & (cap - 1);
}

static int
s_map_insert (chain_t *self, chain_node_t *node)
{
    if ((self->map_used + 1) * 2 > self->map_cap) {
        size_t cap = self->map_cap ? self->map_cap * 2 : 1024;
        chain_node_t **map = calloc (cap, sizeof *map);
        if (!map)
            return -1;
        for (size_t i = 0; i < self->map_cap; i++)
            if (self->map [i]) {
                size_t j = s_slot (&self->map [i]->hash, cap);
                while (map [j])
                    j = (j + 1) & (cap - 1);
                map [j] = self->map [i];
            }
        free (self->map);
        self->map = map;
        self->map_cap = cap;
    }
    size_t j = s_slot (&node->hash, self->map_cap);
    while (self->map [j])
        j = (j + 1) & (self->map_cap - 1);
    self->map [j] = node;
    self->map_used++;
    return 0;
}

chain_node_t *
chain_lookup (chain_t *self, const zc_hash_t *hash)
{
    if (!self->map_cap)
        return NULL;
    for (size_t j = s_slot (hash, self->map_cap); self->map [j]; j = (j + 1) & (self->map_cap - 1))
        if (zc_hash_eq (&self->map [j]->hash, hash))
            return self->map [j];
    return NULL;
}

static void
s_index_record (const chain_node_t *node, uint8_t out [INDEX_RECORD])
{
    zc_header_encode (&node->header, out);
    zc_put_le32 (out + 80, node->height);
    out [84] = node->status;
    zc_u256_to_bytes (&node->work, out + 85);
}

static void
s_put_index (chain_t *self, rocksdb_writebatch_t *batch, const chain_node_t *node)
{
    uint8_t record [INDEX_RECORD];
    s_index_record (node, record);
    rocksdb_writebatch_put_cf (batch, self->db->cf [DB_INDEX], (const char *) node->hash.b, 32,
                               (const char *) record, sizeof record);
}

static int
s_best_push (chain_t *self, chain_node_t *node)
{
    if (self->best_len == self->best_cap) {
        size_t cap = self->best_cap ? self->best_cap * 2 : 1024;
        chain_node_t **grown = realloc (self->best_chain, cap * sizeof *grown);
        if (!grown)
            return -1;
        self->best_chain = grown;
        self->best_cap = cap;
    }
    self->best_chain [self->best_len++] = node;
    return 0;
}

chain_node_t *
chain_tip (chain_t *self)
{
    return self->best_len ? self->best_chain [self->best_len - 1] : NULL;
}

chain_node_t *
chain_at (chain_t *self, uint32_t height)
{
    return height < self->best_len ? self->best_chain [height] : NULL;
}

const zc_params_t *
chain_params (chain_t *self)
{
    return self->params;
}

static chain_node_t *
s_ancestor (chain_node_t *node, uint32_t height)
{
    while (node && node->height > height)
        node = node->prev;
    return node;
}

uint32_t
chain_median_time (const chain_node_t *node)
{
    uint32_t times [11];
    size_t n = 0;
    for (; node && n < 11; node = node->prev)
        times [10 - n++] = node->header.time;
    return zc_median_time (times + 11 - n, n);
}

uint32_t
chain_next_bits (chain_t *self, const chain_node_t *parent)
{
    uint32_t height = parent->height + 1;
    if (!zc_params_is_retarget_height (self->params, height))
        return zc_params_next_bits (self->params, height, parent->header.bits, 0, 0);
    const chain_node_t *first = s_ancestor ((chain_node_t *) parent,
                                            height - self->params->retarget_interval);
    if (!first)
        return parent->header.bits;     //  cannot happen: heights start at 0
    return zc_params_next_bits (self->params, height, parent->header.bits,
                                first->header.time, parent->header.time);
}

//  A block qualifies as the best when it has data, is not invalid and has
//  more work than the current best; of equal work, the first seen wins.
static void
s_consider (chain_t *self, chain_node_t *node)
{
    if (!(node->status & CHAIN_HAVE_DATA) || (node->status & CHAIN_INVALID))
        return;
    int cmp = self->best ? zc_u256_cmp (&node->work, &self->best->work) : 1;
    if (cmp > 0 || (cmp == 0 && node->arrival < self->best->arrival))
        self->best = node;
}

static void
s_find_best (chain_t *self)
{
    self->best = NULL;
    for (size_t i = 0; i < self->map_cap; i++)
        if (self->map [i])
            s_consider (self, self->map [i]);
}

// ---------------------------------------------------------------------------
//  open and load

static chain_node_t *
s_node_new (chain_t *self, const zc_header_t *header, const zc_hash_t *hash)
{
    chain_node_t *node = calloc (1, sizeof *node);
    if (node) {
        node->arrival = ++self->arrivals;   //  0 is the tip loaded at start
        node->header = *header;
        node->hash = *hash;
    }
    return node;
}

static int
s_load_index (chain_t *self)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf (self->db->db, self->db->read,
                                                         self->db->cf [DB_INDEX]);
    int rc = 0;
    for (rocksdb_iter_seek_to_first (it); rocksdb_iter_valid (it) && rc == 0; rocksdb_iter_next (it)) {
        size_t klen, vlen;
        const uint8_t *key = (const uint8_t *) rocksdb_iter_key (it, &klen);
        const uint8_t *val = (const uint8_t *) rocksdb_iter_value (it, &vlen);
        zc_header_t header;
        if (klen != 32 || vlen != INDEX_RECORD || zc_header_decode (val, 80, &header) != ZC_OK) {
            zc_error ("block index: damaged record");
            rc = -1;
            break;
        }
        zc_hash_t hash;
        memcpy (hash.b, key, 32);
        chain_node_t *node = s_node_new (self, &header, &hash);
        if (!node || s_map_insert (self, node)) {
            free (node);
            rc = -1;
            break;
        }
        node->height = zc_le32 (val + 80);
        node->status = val [84];
        zc_u256_from_bytes (&node->work, val + 85);
    }
    //  an iterator stops at a bad block as at the end: a shorter index
    //  would be a wrong chain, so tell the two apart
    if (rc == 0 && db_iter_failed (self->db, it, "index"))
        rc = -1;
    rocksdb_iter_destroy (it);
    if (rc)
        return rc;
    //  link parents now that every node exists
    for (size_t i = 0; i < self->map_cap; i++) {
        chain_node_t *node = self->map [i];
        if (node && node->height > 0) {
            node->prev = chain_lookup (self, &node->header.prev);
            if (!node->prev) {
                zc_error ("block index: parent of height %u missing", node->height);
                return -1;
            }
        }
    }
    return 0;
}

static int
s_load_tip (chain_t *self)
{
    zc_hash_t tip;
    int rc = db_get_fixed (self->db, DB_META, "tip", 3, tip.b, 32);
    if (rc <= 0)
        return rc;
    chain_node_t *node = chain_lookup (self, &tip);
    if (!node) {
        zc_error ("tip not in the block index");
        return -1;
    }
    self->best_len = 0;
    for (uint32_t h = 0; h <= node->height; h++)
        if (s_best_push (self, NULL))
            return -1;
    for (chain_node_t *n = node; n; n = n->prev)
        self->best_chain [n->height] = n;
    node->arrival = 0;                  //  of equal work, stay where we were
    uint8_t seq [8], stats [16];
    if (db_get_fixed (self->db, DB_META, "event_seq", 9, seq, 8) == 1)
        self->event_seq = zc_le64 (seq);
    if (db_get_fixed (self->db, DB_META, "utxo_stats", 10, stats, 16) == 1) {
        self->utxo_count = zc_le64 (stats);
        self->utxo_total = zc_le64 (stats + 8);
    }
    return 1;
}

//  The tip note against the loaded tip: a database behind its note lost
//  steps that were acknowledged, as when a write-ahead log lost its tail. 0 fine, or (without sync, where a power cut may lose
//  them by design) the loss reported; -1 damaged, err says why.
static int
s_check_note (chain_t *self, bool sync, char *err, size_t err_size)
{
    uint64_t seq;
    uint32_t height;
    zc_hash_t hash;
    int rc = db_note_read (self->db, &seq, &height, hash.b);
    if (rc == 0)
        return 0;                       //  a new database, or one older than the note
    if (rc < 0) {
        zc_warn ("the tip note is unreadable: written anew");
        return 0;
    }
    chain_node_t *tip = chain_tip (self);
    uint64_t have = tip ? self->event_seq : 0;
    if (have > seq || (have == seq && tip && zc_hash_eq (&tip->hash, &hash)))
        return 0;                       //  ahead: a crash fell between a commit and its note
    char reason [400], hex [65];
    if (have == seq)
        snprintf (reason, sizeof reason, "the tip is not the block %s the tip note names at step "
                  "%" PRIu64 ": not the database this node wrote", zc_hash_hex (&hash, hex), seq);
    else
        snprintf (reason, sizeof reason, "acknowledged blocks lost: the database ends at step %"
                  PRIu64 " (height %u), the tip note says step %" PRIu64 " (height %u, block %s) "
                  "was committed", have, tip ? tip->height : 0, seq, height, zc_hash_hex (&hash, hex));
    if (!sync) {
        zc_error ("%s (--sync=false: a power cut loses the last blocks by design)", reason);
        self->lost_steps = have < seq ? seq - have : 1;
        return 0;
    }
    db_set_damaged (self->db, reason);
    snprintf (err, err_size, "%s", reason);
    return -1;
}

static int s_connect_genesis (chain_t *self);

chain_t *
chain_open (const char *dir, const zc_params_t *params, bool sync, char *err, size_t err_size)
{
    chain_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->params = params;
    self->cache = zc_utxo_new (NULL, NULL);
    if (self->cache)
        zc_utxo_set_limit (self->cache, CHAIN_CACHE_DEFAULT);
    self->db = self->cache ? db_open (dir, sync, err, err_size) : NULL;
    if (!self->db) {
        chain_destroy (&self);
        return NULL;
    }
    if (s_load_index (self)) {
        snprintf (err, err_size, "cannot load the block index in %s", dir);
        chain_destroy (&self);
        return NULL;
    }
    int rc = s_load_tip (self);
    if (rc >= 0 && s_check_note (self, sync, err, err_size)) {
        chain_destroy (&self);
        return NULL;
    }
    if (rc == 0)
        rc = s_connect_genesis (self) == 0 ? 1 : -1;
    if (rc < 0) {
        snprintf (err, err_size, "cannot load the chain tip in %s", dir);
        chain_destroy (&self);
        return NULL;
    }
    chain_node_t *tip = chain_tip (self);
    if (!zc_hash_eq (&chain_at (self, 0)->hash, zc_params_genesis_hash (params))) {
        snprintf (err, err_size, "%s holds another network's chain (not %s)", dir, params->name);
        chain_destroy (&self);
        return NULL;
    }
    //  a database new to the note, or one that lost steps without sync
    db_note_write (self->db, self->event_seq, tip->height, tip->hash.b);
    s_find_best (self);
    zc_info ("chain %s: tip %u, %zu blocks indexed, %" PRIu64 " unspent outputs",
             params->name, tip->height, self->map_used, self->utxo_count);
    return self;
}

void
chain_destroy (chain_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    chain_t *self = *self_p;
    for (size_t i = 0; i < self->map_cap; i++)
        free (self->map [i]);
    free (self->map);
    free (self->best_chain);
    zc_block_destroy (&self->last_block);
    zc_utxo_destroy (&self->cache);
    db_destroy (&self->db);
    free (self);
    *self_p = NULL;
}

// ---------------------------------------------------------------------------
//  accepting blocks

static int
s_store_block (chain_t *self, chain_node_t *node, const uint8_t *raw, size_t size)
{
    rocksdb_writebatch_t *batch = rocksdb_writebatch_create ();
    rocksdb_writebatch_put_cf (batch, self->db->cf [DB_BLOCKS], (const char *) node->hash.b, 32,
                               (const char *) raw, size);
    s_put_index (self, batch, node);
    int rc = db_write (self->db, batch);
    rocksdb_writebatch_destroy (batch);
    return rc;
}

static void
s_keep_block (chain_t *self, zc_block_t **block_p)
{
    zc_block_destroy (&self->last_block);
    self->last_block = *block_p;
    *block_p = NULL;
}

zc_err_t
chain_accept (chain_t *self, const uint8_t *raw, size_t size, int64_t now, chain_node_t **node_p)
{
    if (node_p)
        *node_p = NULL;
    zc_block_t *block;
    zc_err_t rc = zc_block_decode (raw, size, &block);
    if (rc != ZC_OK)
        return rc;
    chain_node_t *known = chain_lookup (self, &block->hash);
    if (known) {
        zc_block_destroy (&block);
        if (node_p)
            *node_p = known;
        return (known->status & CHAIN_INVALID) ? ZC_ERR_INVALID_CHAIN : ZC_ERR_DUPLICATE;
    }
    rc = zc_check_block (block, self->params, now);
    chain_node_t *parent = rc == ZC_OK ? chain_lookup (self, &block->header.prev) : NULL;
    if (rc == ZC_OK && !parent)
        rc = ZC_ERR_ORPHAN;
    if (rc == ZC_OK && (parent->status & CHAIN_INVALID))
        rc = ZC_ERR_INVALID_CHAIN;
    if (rc == ZC_OK) {
        zc_context_t ctx = {
            .height = parent->height + 1,
            .median_time = chain_median_time (parent),
            .bits = chain_next_bits (self, parent)
        };
        rc = zc_check_header_context (&block->header, &ctx);
        if (rc == ZC_OK)
            rc = zc_check_coinbase_height (block, ctx.height);
    }
    if (rc != ZC_OK) {
        zc_block_destroy (&block);
        return rc;
    }
    chain_node_t *node = s_node_new (self, &block->header, &block->hash);
    if (!node || s_map_insert (self, node)) {
        free (node);
        zc_block_destroy (&block);
        return ZC_ERR_INTERNAL;
    }
    node->prev = parent;
    node->height = parent->height + 1;
    node->status = CHAIN_HAVE_DATA;
    zc_u256_t work;
    zc_pow_block_work (block->header.bits, &work);
    node->work = parent->work;
    zc_u256_add (&node->work, &work);
    if (s_store_block (self, node, raw, size)) {
        zc_block_destroy (&block);
        return ZC_ERR_INTERNAL;
    }
    s_keep_block (self, &block);
    s_consider (self, node);
    if (node_p)
        *node_p = node;
    return ZC_OK;
}

bool
chain_wants_step (chain_t *self)
{
    return self->best && self->best != chain_tip (self);
}

// ---------------------------------------------------------------------------
//  steps

//  A step view's look-up: the cache, then RocksDB (remembered in the cache)
static int
s_fetch (void *arg, const zc_outpoint_t *outpoint, zc_coin_t *coin)
{
    chain_t *self = arg;
    int rc = zc_utxo_peek (self->cache, outpoint, coin);
    if (rc >= 0) {
        self->cache_hits++;
        return rc;
    }
    self->cache_misses++;
    uint8_t key [36], raw [ZC_COIN_BYTES];
    zc_outpoint_key (outpoint, key);
    rc = db_get_fixed (self->db, DB_UTXO, key, sizeof key, raw, sizeof raw);
    if (rc == 1 && zc_coin_decode (raw, sizeof raw, coin) != ZC_OK)
        return -1;
    if (rc >= 0)
        zc_utxo_remember (self->cache, outpoint, rc == 1 ? coin : NULL);
    return rc;
}

static int s_get_coins (chain_t *self, const zc_outpoint_t *outpoints, size_t n,
                        zc_coin_t *coins, uint8_t *found, bool remember_absent);

//  Bring every coin the step will look at into the cache in one multi-get:
//  the outputs it creates or removes and, connecting, the coins it spends
//  Coins a step reads: every output, and the inputs when connecting
static size_t
s_step_coins (const zc_block_t *block, bool inputs)
{
    size_t n = 0;
    for (uint32_t t = 0; t < block->n_tx; t++)
        n += block->tx [t]->n_out + (inputs && t > 0 ? block->tx [t]->n_in : 0);
    return n;
}

//  Into the cache, in one multi-get, the coins a step reads: a connect its
//  inputs (its outputs are new, zc_utxo_connect never looks them up), a
//  disconnect the outputs it takes away
static int
s_prefetch (chain_t *self, const zc_block_t *block, bool connect)
{
    size_t n = connect ? s_step_coins (block, true) - s_step_coins (block, false)
                       : s_step_coins (block, false);
    zc_outpoint_t *ops = malloc ((n ? n : 1) * sizeof *ops);
    zc_coin_t *coins = malloc ((n ? n : 1) * sizeof *coins);
    uint8_t *found = malloc (n ? n : 1);
    int rc = ops && coins && found ? 0 : -1;
    if (rc == 0) {
        size_t k = 0;
        for (uint32_t t = 0; t < block->n_tx; t++) {
            const zc_tx_t *tx = block->tx [t];
            for (uint32_t i = 0; connect && t > 0 && i < tx->n_in; i++)
                ops [k++] = tx->in [i].prevout;
            for (uint32_t o = 0; !connect && o < tx->n_out; o++)
                ops [k++] = (zc_outpoint_t) { tx->txid, o };
        }
        rc = s_get_coins (self, ops, n, coins, found, true);
    }
    free (ops);
    free (coins);
    free (found);
    return rc;
}

//  A view for one step, reading through the cache
static zc_utxo_t *
s_step_view (chain_t *self, const zc_block_t *block, bool inputs)
{
    if (s_prefetch (self, block, inputs))
        return NULL;
    zc_utxo_t *view = zc_utxo_new (s_fetch, self);
    //  sized once: doubling a block's worth of entries costs page faults
    if (view && zc_utxo_reserve (view, s_step_coins (block, inputs)))
        zc_utxo_destroy (&view);
    return view;
}

//  The block decoded, and its stored bytes (the caller's: sliced and
//  published as they are, never encoded again)
static zc_err_t
s_load_block (chain_t *self, const chain_node_t *node, zc_block_t **block_p, uint8_t **raw_p,
              size_t *size_p)
{
    if (db_get (self->db, DB_BLOCKS, node->hash.b, 32, raw_p, size_p) != 1)
        return ZC_ERR_INTERNAL;
    if (self->last_block && zc_hash_eq (&self->last_block->hash, &node->hash)) {
        *block_p = self->last_block;
        self->last_block = NULL;
        return ZC_OK;
    }
    zc_err_t rc = zc_block_decode (*raw_p, *size_p, block_p);
    if (rc != ZC_OK) {
        free (*raw_p);
        *raw_p = NULL;
        return ZC_ERR_INTERNAL;
    }
    return ZC_OK;
}

static zc_err_t
s_load_undo (chain_t *self, const chain_node_t *node, zc_undo_t **undo_p)
{
    uint8_t *raw;
    size_t size;
    if (db_get (self->db, DB_UNDO, node->hash.b, 32, &raw, &size) != 1)
        return ZC_ERR_INTERNAL;
    zc_err_t rc = zc_undo_decode (raw, size, undo_p);
    free (raw);
    return rc == ZC_OK ? ZC_OK : ZC_ERR_INTERNAL;
}

static void
s_mark_invalid (chain_t *self, chain_node_t *bad)
{
    rocksdb_writebatch_t *batch = rocksdb_writebatch_create ();
    for (size_t i = 0; i < self->map_cap; i++) {
        chain_node_t *node = self->map [i];
        if (node && s_ancestor (node, bad->height) == bad) {
            node->status |= CHAIN_INVALID;
            s_put_index (self, batch, node);
        }
    }
    //  best effort: if this write is lost, the block fails again on restart
    db_write (self->db, batch);
    rocksdb_writebatch_destroy (batch);
    s_find_best (self);
}

zc_err_t
chain_step_begin (chain_t *self, chain_step_t *step)
{
    memset (step, 0, sizeof *step);
    chain_node_t *tip = chain_tip (self);
    if (!tip || !self->best)
        return ZC_ERR_INTERNAL;
    if (s_ancestor (self->best, tip->height) != tip) {
        //  the best block is on another branch: step back first
        step->kind = CHAIN_STEP_DISCONNECT;
        step->node = tip;
        zc_err_t rc = s_load_block (self, tip, &step->block, &step->raw, &step->raw_size);
        if (rc == ZC_OK)
            rc = s_load_undo (self, tip, &step->undo);
        if (rc == ZC_OK && !(step->view = s_step_view (self, step->block, false)))
            rc = ZC_ERR_INTERNAL;
        //  a store that does not hold the block's outputs is damaged
        if (rc == ZC_OK && zc_utxo_disconnect (step->view, step->block, step->undo) != ZC_OK)
            rc = ZC_ERR_INTERNAL;
        if (rc != ZC_OK)
            chain_step_clear (step);
        return rc;
    }
    step->kind = CHAIN_STEP_CONNECT;
    step->node = s_ancestor (self->best, tip->height + 1);
    zc_err_t rc = s_load_block (self, step->node, &step->block, &step->raw, &step->raw_size);
    if (rc != ZC_OK)
        return rc;
    step->view = s_step_view (self, step->block, true);
    if (!step->view) {
        chain_step_clear (step);
        return ZC_ERR_INTERNAL;
    }
    rc = zc_utxo_connect (step->view, step->block, step->node->height, self->params, &step->undo,
                          &step->fees);
    if (rc != ZC_OK) {
        chain_node_t *node = step->node;
        chain_step_clear (step);
        step->node = node;              //  names the block that broke a rule
        if (rc != ZC_ERR_INTERNAL)
            s_mark_invalid (self, node);
    }
    return rc;
}

//  A step's rows of one column family, put into the batch sorted by key:
//  the coin set, the transaction and spent-by indexes, the address index
//  and history, each of which a block writes a row a transaction or more
//  into (services/storage/db.c says why their memtables are skip lists).
//  A block's keys are random, and a skip list memtable searches every
//  level for a random key; in key order each insert starts near the last
//  one (2.7 -> 1.9 us an insert, sorting included, measured on 16,000-key
//  batches into 300,000 keys). Equal keys keep their order: an output
//  created and spent in one block must end deleted. The capacity a step
//  gives is at least its rows' count, so a row is written straight to the
//  batch only when the memory for the sort could not be had, and then
//  every row of that column is.
#define SORTED_KEY ADDRTX_KEY           //  the longest key
_Static_assert (ADDRESS_KEY <= SORTED_KEY, "an address row fits a sorted row");
#define SORTED_VALUE ZC_COIN_BYTES      //  the longest value: a coin (a txindex or spent-by row is 36)
_Static_assert (SORTED_VALUE >= 36, "a sorted row holds a 36-byte index value");

typedef struct {
    uint8_t key [SORTED_KEY];
    uint8_t raw [SORTED_VALUE];
    uint8_t raw_size;
    bool put;
} s_sorted_op_t;

//  What the sort moves: 16 bytes, not a row, and most comparisons end at
//  the key's first eight bytes without reading the row
typedef struct {
    uint64_t head;                      //  the key's first 8 bytes, big-endian
    uint32_t seq;                       //  the row's place in ops: its order of arrival
} s_sorted_ref_t;

typedef struct {
    db_cf_t cf;
    size_t key_size;
    s_sorted_op_t *ops;                 //  NULL: written straight to the batch
    s_sorted_ref_t *order;
    size_t n, cap;
} s_sorted_batch_t;

static void
s_sorted_init (s_sorted_batch_t *self, db_cf_t cf, size_t key_size, size_t cap)
{
    assert (key_size >= 8 && key_size <= SORTED_KEY);  //  8: the head
    memset (self, 0, sizeof *self);
    self->cf = cf;
    self->key_size = key_size;
    self->ops = malloc (cap * sizeof *self->ops);
    self->order = malloc (cap * sizeof *self->order);
    if (!self->ops || !self->order) {
        free (self->ops);
        free (self->order);
        self->ops = NULL;
        self->order = NULL;
    }
    else
        self->cap = cap;
}

static int
s_sorted_order (const void *a, const void *b, void *arg)
{
    const s_sorted_ref_t *x = a, *y = b;
    if (x->head != y->head)
        return x->head < y->head ? -1 : 1;
    const s_sorted_batch_t *sb = arg;
    int c = memcmp (sb->ops [x->seq].key, sb->ops [y->seq].key, sb->key_size);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static void
s_sorted_write (chain_t *self, rocksdb_writebatch_t *batch, const s_sorted_batch_t *sb,
                const s_sorted_op_t *op)
{
    if (op->put)
        rocksdb_writebatch_put_cf (batch, self->db->cf [sb->cf], (const char *) op->key,
                                   sb->key_size, (const char *) op->raw, op->raw_size);
    else
        rocksdb_writebatch_delete_cf (batch, self->db->cf [sb->cf], (const char *) op->key,
                                      sb->key_size);
}

//  One row: kept for the sorted write, or written now when no room was had
static void
s_sorted_add (chain_t *self, s_sorted_batch_t *sb, rocksdb_writebatch_t *batch, bool put,
              const uint8_t *key, const uint8_t *raw, size_t raw_size)
{
    assert (raw_size <= SORTED_VALUE);
    s_sorted_op_t local, *e = sb->ops && sb->n < sb->cap ? &sb->ops [sb->n] : &local;
    memcpy (e->key, key, sb->key_size);
    e->put = put;
    e->raw_size = (uint8_t) raw_size;
    if (raw_size)
        memcpy (e->raw, raw, raw_size);
    if (e == &local)
        s_sorted_write (self, batch, sb, e);
    else
        sb->n++;
}

//  Into the batch, in key order, and freed. Of the rows with one key only
//  the last is written: it alone decides what the key holds once the batch
//  is applied (an output created and spent in one block ends deleted; a
//  payment that spends from and pays to one key has one history row)
static void
s_sorted_flush (chain_t *self, s_sorted_batch_t *sb, rocksdb_writebatch_t *batch)
{
    for (size_t i = 0; i < sb->n; i++)
        sb->order [i] = (s_sorted_ref_t) { zc_be64 (sb->ops [i].key), (uint32_t) i };
    if (sb->n)
        qsort_r (sb->order, sb->n, sizeof *sb->order, s_sorted_order, sb);
    for (size_t i = 0; i < sb->n; i++) {
        const s_sorted_op_t *op = &sb->ops [sb->order [i].seq];
        if (i + 1 == sb->n || sb->order [i].head != sb->order [i + 1].head
        ||  memcmp (op->key, sb->ops [sb->order [i + 1].seq].key, sb->key_size))
            s_sorted_write (self, batch, sb, op);
    }
    free (sb->ops);
    free (sb->order);
    memset (sb, 0, sizeof *sb);
}

//  The address index and the set's count and total follow each coin
//  created or removed; the UTXO column itself is written from the view
static void
s_address_change (chain_t *self, s_sorted_batch_t *ab, rocksdb_writebatch_t *batch, bool put,
                  const zc_outpoint_t *op, const zc_coin_t *coin)
{
    uint8_t key [68], raw [ZC_COIN_BYTES];
    memcpy (key, coin->pubkey, 32);
    zc_outpoint_key (op, key + 32);
    if (put)
        zc_coin_encode (coin, raw);
    s_sorted_add (self, ab, batch, put, key, raw, put ? sizeof raw : 0);
    if (put) {
        self->utxo_count++;
        self->utxo_total += coin->amount;
    }
    else {
        self->utxo_count--;
        self->utxo_total -= coin->amount;
    }
}

typedef struct {
    chain_t *chain;
    rocksdb_writebatch_t *batch;
    s_sorted_batch_t rows;
} s_writer_t;

//  One changed entry of a step's view, for the UTXO column
static void
s_write_utxo (void *arg, const zc_outpoint_t *op, const zc_coin_t *coin)
{
    s_writer_t *w = arg;
    uint8_t key [36], raw [ZC_COIN_BYTES];
    zc_outpoint_key (op, key);
    if (coin)
        zc_coin_encode (coin, raw);
    s_sorted_add (w->chain, &w->rows, w->batch, coin != NULL, key, raw, coin ? sizeof raw : 0);
}

static void
s_output_coin (const zc_tx_t *tx, uint32_t o, uint32_t height, zc_coin_t *coin)
{
    memset (coin, 0, sizeof *coin);
    coin->amount = tx->out [o].amount;
    memcpy (coin->pubkey, tx->out [o].pubkey, 32);
    coin->height = height;
    coin->coinbase = zc_tx_is_coinbase (tx);
}

//  The spent-by and address-history rows of a step's block: put on a
//  connect, deleted on a disconnect. A key met twice (a transaction paying
//  its own key twice, or change back to the key it spends from) is one
//  row: s_sorted_flush writes it once
static void
s_addrtx_key (const uint8_t pubkey [32], uint32_t height, const zc_hash_t *txid,
              uint8_t key [ADDRTX_KEY])
{
    memcpy (key, pubkey, 32);
    zc_put_be32 (key + 32, 0xffffffffu - height);
    memcpy (key + 36, txid->b, 32);
}

static void
s_write_spends (chain_t *self, rocksdb_writebatch_t *batch, const chain_step_t *step, bool put)
{
    const zc_block_t *block = step->block;
    uint32_t height = step->node->height;
    uint32_t spent = 0;
    s_sorted_batch_t history, spends;
    s_sorted_init (&history, DB_ADDRTX, ADDRTX_KEY, s_step_coins (block, true));
    s_sorted_init (&spends, DB_SPENT, ZC_OUTPOINT_BYTES,
                   s_step_coins (block, true) - s_step_coins (block, false));
    for (uint32_t t = 0; t < block->n_tx; t++) {
        const zc_tx_t *tx = block->tx [t];
        uint8_t key [ADDRTX_KEY];
        for (uint32_t o = 0; o < tx->n_out; o++) {
            s_addrtx_key (tx->out [o].pubkey, height, &tx->txid, key);
            s_sorted_add (self, &history, batch, put, key, NULL, 0);
        }
        if (t == 0)
            continue;                   //  a coinbase spends nothing
        for (uint32_t i = 0; i < tx->n_in; i++) {
            const zc_coin_t *coin = &step->undo->coins [spent++];
            s_addrtx_key (coin->pubkey, height, &tx->txid, key);
            uint8_t op [36], by [36];
            zc_outpoint_key (&tx->in [i].prevout, op);
            memcpy (by, tx->txid.b, 32);
            zc_put_le32 (by + 32, i);
            s_sorted_add (self, &history, batch, put, key, NULL, 0);
            s_sorted_add (self, &spends, batch, put, op, by, put ? sizeof by : 0);
        }
    }
    s_sorted_flush (self, &history, batch);
    s_sorted_flush (self, &spends, batch);
}

//  UTXO and index changes of connecting, in block order so that an output
//  created and spent in the same block ends deleted
static void
s_write_connect (chain_t *self, rocksdb_writebatch_t *batch, const chain_step_t *step)
{
    const zc_block_t *block = step->block;
    s_sorted_batch_t ab, where;
    s_sorted_init (&ab, DB_ADDRESS, ADDRESS_KEY, s_step_coins (block, true));
    s_sorted_init (&where, DB_TXINDEX, TXINDEX_KEY, block->n_tx);
    uint32_t spent = 0;
    for (uint32_t t = 0; t < block->n_tx; t++) {
        const zc_tx_t *tx = block->tx [t];
        if (t > 0)
            for (uint32_t i = 0; i < tx->n_in; i++)
                s_address_change (self, &ab, batch, false, &tx->in [i].prevout,
                                  &step->undo->coins [spent++]);
        for (uint32_t o = 0; o < tx->n_out; o++) {
            zc_outpoint_t op = { tx->txid, o };
            zc_coin_t coin;
            s_output_coin (tx, o, step->node->height, &coin);
            s_address_change (self, &ab, batch, true, &op, &coin);
        }
        uint8_t place [36];
        memcpy (place, block->hash.b, 32);
        zc_put_le32 (place + 32, t);
        s_sorted_add (self, &where, batch, true, tx->txid.b, place, sizeof place);
    }
    s_write_spends (self, batch, step, true);
    s_sorted_flush (self, &ab, batch);
    s_sorted_flush (self, &where, batch);
    uint8_t stats [BLOCKSTATS_RECORD];
    uint64_t fee_bytes = 0;
    for (uint32_t t = 1; t < block->n_tx; t++)
        fee_bytes += block->tx [t]->size;
    zc_put_le32 (stats, block->n_tx);
    //  not step->raw_size: the caller may have taken the bytes for its event
    zc_put_le32 (stats + 4, (uint32_t) (block->size ? block->size : step->raw_size));
    zc_put_le64 (stats + 8, step->fees);
    zc_put_le32 (stats + 16, (uint32_t) fee_bytes);
    rocksdb_writebatch_put_cf (batch, self->db->cf [DB_BLOCKSTATS], (const char *) block->hash.b, 32,
                               (const char *) stats, sizeof stats);
    size_t size;
    uint8_t *undo = zc_undo_encode (step->undo, &size);
    rocksdb_writebatch_put_cf (batch, self->db->cf [DB_UNDO], (const char *) block->hash.b, 32,
                               (const char *) undo, size);
    free (undo);
    uint8_t height [4];
    zc_put_be32 (height, step->node->height);
    rocksdb_writebatch_put_cf (batch, self->db->cf [DB_HEIGHT], (const char *) height, 4,
                               (const char *) block->hash.b, 32);
}

//  The reverse, in reverse order
static void
s_write_disconnect (chain_t *self, rocksdb_writebatch_t *batch, const chain_step_t *step)
{
    const zc_block_t *block = step->block;
    s_sorted_batch_t ab, where;
    s_sorted_init (&ab, DB_ADDRESS, ADDRESS_KEY, s_step_coins (block, true));
    s_sorted_init (&where, DB_TXINDEX, TXINDEX_KEY, block->n_tx);
    uint32_t spent = step->undo->n;
    for (uint32_t t = block->n_tx; t-- > 0; ) {
        const zc_tx_t *tx = block->tx [t];
        for (uint32_t o = tx->n_out; o-- > 0; ) {
            zc_outpoint_t op = { tx->txid, o };
            zc_coin_t coin;
            s_output_coin (tx, o, step->node->height, &coin);
            s_address_change (self, &ab, batch, false, &op, &coin);
        }
        if (t > 0)
            for (uint32_t i = tx->n_in; i-- > 0; )
                s_address_change (self, &ab, batch, true, &tx->in [i].prevout,
                                  &step->undo->coins [--spent]);
        s_sorted_add (self, &where, batch, false, tx->txid.b, NULL, 0);
    }
    s_write_spends (self, batch, step, false);
    s_sorted_flush (self, &ab, batch);
    s_sorted_flush (self, &where, batch);
    uint8_t height [4];
    zc_put_be32 (height, step->node->height);
    rocksdb_writebatch_delete_cf (batch, self->db->cf [DB_HEIGHT], (const char *) height, 4);
}

int
chain_step_commit (chain_t *self, chain_step_t *step, chain_event_t *event)
{
    uint64_t count = self->utxo_count, total = self->utxo_total;
    rocksdb_writebatch_t *batch = rocksdb_writebatch_create ();
    chain_node_t *node = step->node;
    chain_node_t *new_tip;
    if (step->kind == CHAIN_STEP_CONNECT) {
        s_write_connect (self, batch, step);
        node->status |= CHAIN_VALID;
        s_put_index (self, batch, node);
        new_tip = node;
    }
    else {
        s_write_disconnect (self, batch, step);
        new_tip = node->prev;
    }
    s_writer_t writer = { .chain = self, .batch = batch };
    s_sorted_init (&writer.rows, DB_UTXO, ZC_OUTPOINT_BYTES, s_step_coins (step->block, true));
    zc_utxo_each_dirty (step->view, s_write_utxo, &writer);
    s_sorted_flush (self, &writer.rows, batch);
    rocksdb_writebatch_put_cf (batch, self->db->cf [DB_META], "tip", 3,
                               (const char *) new_tip->hash.b, 32);
    uint8_t stats [16];
    zc_put_le64 (stats, self->utxo_count);
    zc_put_le64 (stats + 8, self->utxo_total);
    rocksdb_writebatch_put_cf (batch, self->db->cf [DB_META], "utxo_stats", 10,
                               (const char *) stats, sizeof stats);

    chain_event_t ev = {
        .seq = self->event_seq + 1,
        .type = step->kind == CHAIN_STEP_CONNECT ? CHAIN_EVENT_CONNECTED : CHAIN_EVENT_DISCONNECTED,
        .hash = node->hash,
        .height = node->height
    };
    uint8_t seq [8], record [EVENT_RECORD];
    zc_put_be64 (seq, ev.seq);
    record [0] = (uint8_t) ev.type;
    memcpy (record + 1, ev.hash.b, 32);
    zc_put_le32 (record + 33, ev.height);
    rocksdb_writebatch_put_cf (batch, self->db->cf [DB_EVENTS], (const char *) seq, 8,
                               (const char *) record, sizeof record);
    zc_put_le64 (seq, ev.seq);
    rocksdb_writebatch_put_cf (batch, self->db->cf [DB_META], "event_seq", 9, (const char *) seq, 8);

    int rc = db_write (self->db, batch);
    rocksdb_writebatch_destroy (batch);
    if (rc) {
        self->utxo_count = count;
        self->utxo_total = total;
        chain_step_clear (step);
        return -1;
    }
    self->event_seq = ev.seq;
    //  the batch is in the store: now the cache may say so too
    zc_utxo_apply (step->view, self->cache);
    if (zc_utxo_full (self->cache))
        zc_utxo_trim (self->cache);
    if (step->kind == CHAIN_STEP_CONNECT)
        s_best_push (self, node);
    else
        self->best_len--;
    //  after the batch is durable, before anyone hears of it: a failure
    //  here weakens the loss check, not the commit
    db_note_write (self->db, ev.seq, new_tip->height, new_tip->hash.b);
    if (event)
        *event = ev;
    chain_step_clear (step);
    return 0;
}

void
chain_step_fail (chain_t *self, chain_step_t *step, zc_err_t reason)
{
    char hex [65];
    zc_warn ("block %s at height %u is invalid: %s", zc_hash_hex (&step->node->hash, hex),
             step->node->height, zc_err_name (reason));
    s_mark_invalid (self, step->node);
    chain_step_clear (step);
}

void
chain_step_clear (chain_step_t *step)
{
    zc_block_destroy (&step->block);
    free (step->raw);
    step->raw = NULL;
    step->raw_size = 0;
    zc_undo_destroy (&step->undo);
    zc_utxo_destroy (&step->view);
    step->node = NULL;
}

static int
s_connect_genesis (chain_t *self)
{
    zc_block_t *genesis = zc_params_genesis (self->params);
    if (!genesis)
        return -1;
    chain_node_t *node = s_node_new (self, &genesis->header, &genesis->hash);
    if (!node || s_map_insert (self, node)) {
        free (node);
        zc_block_destroy (&genesis);
        return -1;
    }
    node->status = CHAIN_HAVE_DATA;
    zc_pow_block_work (genesis->header.bits, &node->work);
    size_t size;
    uint8_t *raw = zc_block_encode (genesis, &size);
    int rc = raw ? s_store_block (self, node, raw, size) : -1;
    free (raw);
    if (rc) {
        zc_block_destroy (&genesis);
        return -1;
    }
    //  genesis connects like any block, from an empty set and an empty tip
    chain_step_t step = { .kind = CHAIN_STEP_CONNECT, .node = node, .block = genesis,
                          .raw_size = size };
    step.view = s_step_view (self, genesis, true);
    if (!step.view || zc_utxo_connect (step.view, genesis, 0, self->params, &step.undo, NULL) != ZC_OK) {
        chain_step_clear (&step);
        return -1;
    }
    //  commit pushes onto the best chain; the "new tip" is the node itself
    return chain_step_commit (self, &step, NULL);
}

// ---------------------------------------------------------------------------
//  queries

//  The coins of outpoints [which [k]], k < n, from RocksDB in one multi-get
static int
s_multi_get (chain_t *self, const zc_outpoint_t *outpoints, const size_t *which, size_t n,
             zc_coin_t *coins, uint8_t *found)
{
    const char **keys = malloc (n * sizeof *keys);
    size_t *key_sizes = malloc (n * sizeof *key_sizes);
    uint8_t (*raw_keys) [36] = malloc (n * 36);
    char **values = calloc (n, sizeof *values);
    size_t *value_sizes = calloc (n, sizeof *value_sizes);
    char **errors = calloc (n, sizeof *errors);
    const rocksdb_column_family_handle_t **cfs = malloc (n * sizeof *cfs);
    int rc = 0;
    if (!keys || !key_sizes || !raw_keys || !values || !value_sizes || !errors || !cfs)
        rc = -1;
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            zc_outpoint_key (&outpoints [which [i]], raw_keys [i]);
            keys [i] = (const char *) raw_keys [i];
            key_sizes [i] = 36;
            cfs [i] = self->db->cf [DB_UTXO];
        }
        //  one multi-get: RocksDB sorts and batches the look-ups
        rocksdb_multi_get_cf (self->db->db, self->db->read, cfs, n, keys, key_sizes,
                              values, value_sizes, errors);
        for (size_t i = 0; i < n; i++) {
            found [which [i]] = 0;
            if (errors [i])
                rc = db_failed (self->db, "utxo multi-get", errors [i]);
            else
            if (values [i] && zc_coin_decode ((const uint8_t *) values [i], value_sizes [i],
                                              &coins [which [i]]) == ZC_OK)
                found [which [i]] = 1;
            if (values [i])
                rocksdb_free (values [i]);
        }
    }
    free (keys);
    free (key_sizes);
    free (raw_keys);
    free (values);
    free (value_sizes);
    free (errors);
    free (cfs);
    return rc;
}

//  Coins from the cache, the rest in one RocksDB multi-get, remembered in
//  the cache (outpoints not unspent too, when remember_absent)
static int
s_get_coins (chain_t *self, const zc_outpoint_t *outpoints, size_t n, zc_coin_t *coins,
             uint8_t *found, bool remember_absent)
{
    size_t *miss = malloc ((n ? n : 1) * sizeof *miss);
    if (!miss)
        return -1;
    size_t misses = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = zc_utxo_peek (self->cache, &outpoints [i], &coins [i]);
        found [i] = rc == 1;
        if (rc < 0)
            miss [misses++] = i;
    }
    self->cache_hits += n - misses;
    self->cache_misses += misses;
    int rc = misses ? s_multi_get (self, outpoints, miss, misses, coins, found) : 0;
    for (size_t k = 0; k < misses && rc == 0; k++) {
        size_t i = miss [k];
        if (found [i] || remember_absent)
            zc_utxo_remember (self->cache, &outpoints [i], found [i] ? &coins [i] : NULL);
    }
    free (miss);
    return rc;
}

int
chain_get_coins (chain_t *self, const zc_outpoint_t *outpoints, size_t n,
                 zc_coin_t *coins, uint8_t *found)
{
    int rc = s_get_coins (self, outpoints, n, coins, found, false);
    if (zc_utxo_full (self->cache))
        zc_utxo_trim (self->cache);
    return rc;
}

int
chain_get_block (chain_t *self, const zc_hash_t *hash, uint8_t **raw_p, size_t *size_p)
{
    return db_get (self->db, DB_BLOCKS, hash->b, 32, raw_p, size_p);
}

int
chain_find_tx (chain_t *self, const zc_hash_t *txid, zc_hash_t *block_hash, uint32_t *position)
{
    uint8_t where [36];
    int rc = db_get_fixed (self->db, DB_TXINDEX, txid->b, 32, where, sizeof where);
    if (rc == 1) {
        memcpy (block_hash->b, where, 32);
        *position = zc_le32 (where + 32);
    }
    return rc;
}

int
chain_address_coins (chain_t *self, const uint8_t pubkey [32], size_t limit,
                     zc_utxo_visit_fn *visit, void *arg)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf (self->db->db, self->db->read,
                                                         self->db->cf [DB_ADDRESS]);
    int count = 0;
    for (rocksdb_iter_seek (it, (const char *) pubkey, 32);
         rocksdb_iter_valid (it) && (limit == 0 || (size_t) count < limit);
         rocksdb_iter_next (it)) {
        size_t klen, vlen;
        const uint8_t *key = (const uint8_t *) rocksdb_iter_key (it, &klen);
        if (klen != 68 || memcmp (key, pubkey, 32) != 0)
            break;
        const uint8_t *val = (const uint8_t *) rocksdb_iter_value (it, &vlen);
        zc_outpoint_t op;
        zc_coin_t coin;
        memcpy (op.txid.b, key + 32, 32);
        op.index = zc_be32 (key + 64);
        if (zc_coin_decode (val, vlen, &coin) != ZC_OK) {
            count = -1;
            break;
        }
        visit (arg, &op, &coin);
        count++;
    }
    //  a bad block would otherwise end the list early: a wrong balance
    if (count >= 0 && db_iter_failed (self->db, it, "address"))
        count = -1;
    rocksdb_iter_destroy (it);
    return count;
}

int
chain_block_stats (chain_t *self, const chain_node_t *node, chain_block_stats_t *stats)
{
    memset (stats, 0, sizeof *stats);
    uint8_t record [BLOCKSTATS_RECORD];
    int rc = db_get_fixed (self->db, DB_BLOCKSTATS, node->hash.b, 32, record, sizeof record);
    if (rc == 1) {
        stats->tx_count = zc_le32 (record);
        stats->size = zc_le32 (record + 4);
        stats->fees = zc_le64 (record + 8);
        stats->fee_bytes = zc_le32 (record + 16);
        stats->fees_known = true;
        return 1;
    }
    if (rc < 0)
        return -1;
    //  connected before storage kept stats: count from the block itself
    zc_block_t *block = NULL;
    uint8_t *raw = NULL;
    size_t size = 0;
    zc_err_t err = s_load_block (self, node, &block, &raw, &size);
    if (err != ZC_OK)
        return db_damaged (self->db, NULL) ? -1 : 0;
    stats->tx_count = block->n_tx;
    stats->size = (uint32_t) size;
    zc_block_destroy (&block);
    free (raw);
    return 1;
}

int
chain_get_undo (chain_t *self, const chain_node_t *node, zc_undo_t **undo_p)
{
    *undo_p = NULL;
    uint8_t *raw;
    size_t size;
    int rc = db_get (self->db, DB_UNDO, node->hash.b, 32, &raw, &size);
    if (rc != 1)
        return rc;
    zc_err_t err = zc_undo_decode (raw, size, undo_p);
    free (raw);
    return err == ZC_OK ? 1 : -1;
}

int
chain_find_spender (chain_t *self, const zc_outpoint_t *outpoint, zc_hash_t *txid, uint32_t *vin)
{
    uint8_t key [36], by [36];
    zc_outpoint_key (outpoint, key);
    int rc = db_get_fixed (self->db, DB_SPENT, key, 36, by, sizeof by);
    if (rc == 1) {
        memcpy (txid->b, by, 32);
        *vin = zc_le32 (by + 32);
    }
    return rc;
}

int
chain_address_txs (chain_t *self, const uint8_t pubkey [32], const zc_hash_t *after,
                   uint32_t after_height, size_t max, zc_hash_t *txids, uint32_t *heights)
{
    uint8_t start [ADDRTX_KEY];
    size_t start_size = 32;
    memcpy (start, pubkey, 32);
    if (after) {
        s_addrtx_key (pubkey, after_height, after, start);
        start_size = sizeof start;
    }
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf (self->db->db, self->db->read,
                                                         self->db->cf [DB_ADDRTX]);
    int count = 0;
    rocksdb_iter_seek (it, (const char *) start, start_size);
    for (; rocksdb_iter_valid (it) && (size_t) count < max; rocksdb_iter_next (it)) {
        size_t klen;
        const uint8_t *key = (const uint8_t *) rocksdb_iter_key (it, &klen);
        if (klen != ADDRTX_KEY || memcmp (key, pubkey, 32) != 0)
            break;
        if (after && !memcmp (key, start, ADDRTX_KEY))
            continue;                   //  the page starts after the one named
        heights [count] = 0xffffffffu - zc_be32 (key + 32);
        memcpy (txids [count].b, key + 36, 32);
        count++;
    }
    if (count >= 0 && db_iter_failed (self->db, it, "addrtx"))
        count = -1;
    rocksdb_iter_destroy (it);
    return count;
}

uint64_t
chain_event_seq (chain_t *self)
{
    return self->event_seq;
}

int
chain_get_event (chain_t *self, uint64_t seq, chain_event_t *event)
{
    uint8_t key [8], record [EVENT_RECORD];
    zc_put_be64 (key, seq);
    int rc = db_get_fixed (self->db, DB_EVENTS, key, 8, record, sizeof record);
    if (rc == 1) {
        event->seq = seq;
        event->type = (chain_event_type_t) record [0];
        memcpy (event->hash.b, record + 1, 32);
        event->height = zc_le32 (record + 33);
    }
    return rc;
}

void
chain_utxo_stats (chain_t *self, uint64_t *count, uint64_t *total)
{
    *count = self->utxo_count;
    *total = self->utxo_total;
}

db_t *
chain_db (chain_t *self)
{
    return self->db;
}

uint64_t
chain_lost_steps (chain_t *self)
{
    return self->lost_steps;
}

void
chain_set_cache (chain_t *self, size_t max_bytes)
{
    zc_utxo_set_limit (self->cache, max_bytes);
    zc_utxo_trim (self->cache);
}

void
chain_cache_stats (chain_t *self, chain_cache_stats_t *stats)
{
    stats->bytes = zc_utxo_memory (self->cache);
    stats->coins = zc_utxo_size (self->cache);
    stats->hits = self->cache_hits;
    stats->misses = self->cache_misses;
}

uint64_t
chain_db_memory (chain_t *self)
{
    return db_memory (self->db);
}
