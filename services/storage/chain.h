/*  chain.h - the block tree, the best chain and the persisted UTXO set
 *
 *  The logic of storage without sockets. Blocks are accepted (checked
 *  without spent outputs, stored, indexed), then the best chain moves one
 *  step at a time toward the valid block with the most work: a step either
 *  disconnects the tip or connects the next block. A connect step is
 *  prepared (UTXO rules checked, spent coins gathered for the signature
 *  checks the caller farms out), then committed in one RocksDB write batch
 *  (UTXO changes, undo data, indexes, tip, event record) or failed, which
 *  marks the block and its descendants invalid. After a crash the store
 *  is at the last committed step, and stepping goes on from there.
 *
 *  Every step runs through the tested UTXO view (zc_utxo_connect and
 *  zc_utxo_disconnect) in a view of its own that reads through a bounded
 *  coin cache to RocksDB; the commit writes that view's changes in the
 *  step's batch, and only once the batch is in the store are they copied
 *  into the cache. So the cache never holds what the store does not, a
 *  failed block or write leaves it as it was, and a restart starts it
 *  empty (warmed again by the first look-ups).
 */
#ifndef STORAGE_CHAIN_H_INCLUDED
#define STORAGE_CHAIN_H_INCLUDED

#include "db.h"
#include "zc_block.h"
#include "zc_params.h"
#include "zc_pow.h"
#include "zc_utxo.h"

#include <stdbool.h>
#include <stdint.h>

#define CHAIN_HAVE_DATA 0x01            //  the block's bytes are stored
#define CHAIN_VALID 0x02                //  it was connected once: fully valid
#define CHAIN_INVALID 0x04              //  it, or an ancestor, broke a rule

typedef struct _chain_node_t chain_node_t;
struct _chain_node_t {
    zc_hash_t hash;
    zc_header_t header;
    uint32_t height;
    uint8_t status;
    zc_u256_t work;                     //  cumulative, genesis included
    uint64_t arrival;                   //  order seen: breaks ties in work
    chain_node_t *prev;
};

typedef enum {
    CHAIN_EVENT_CONNECTED = 1,
    CHAIN_EVENT_DISCONNECTED = 2
} chain_event_type_t;

typedef struct {
    uint64_t seq;
    chain_event_type_t type;
    zc_hash_t hash;
    uint32_t height;
} chain_event_t;

typedef enum {
    CHAIN_STEP_CONNECT,
    CHAIN_STEP_DISCONNECT
} chain_step_kind_t;

typedef struct {
    chain_step_kind_t kind;
    chain_node_t *node;                 //  the block connected or disconnected
    zc_block_t *block;
    uint8_t *raw;                       //  the block's stored bytes (block decodes them)
    size_t raw_size;
    zc_undo_t *undo;                    //  coins the block spends, block order
    uint64_t fees;
    zc_utxo_t *view;                    //  the step's changes to the set, over the cache
} chain_step_t;

//  Bytes the coin cache may hold unless chain_set_cache says otherwise
#define CHAIN_CACHE_DEFAULT ((size_t) 64 << 20)

typedef struct {
    uint64_t bytes;                     //  what the cache holds now
    uint64_t coins;                     //  unspent outputs in it
    uint64_t hits;                      //  coin look-ups it answered
    uint64_t misses;                    //  ... and those that went to RocksDB
} chain_cache_stats_t;

typedef struct _chain_t chain_t;

//  Open the store in dir (created if missing), connecting genesis on first
//  use. sync: fsync each commit. NULL and a reason in err on failure; when
//  the data is damaged (a corruption, or acknowledged steps missing: with
//  sync, the database behind its tip note) db_damage_note (dir) says so.
chain_t *
    chain_open (const char *dir, const zc_params_t *params, bool sync, char *err, size_t err_size);

void
    chain_destroy (chain_t **self_p);

const zc_params_t *
    chain_params (chain_t *self);

//  The best chain's last block.
chain_node_t *
    chain_tip (chain_t *self);

//  The block with this hash, any branch; NULL if unknown.
chain_node_t *
    chain_lookup (chain_t *self, const zc_hash_t *hash);

//  The best chain's block at height; NULL beyond the tip.
chain_node_t *
    chain_at (chain_t *self, uint32_t height);

//  Bits required of a child of parent.
uint32_t
    chain_next_bits (chain_t *self, const chain_node_t *parent);

//  Median time of node and its ancestors (up to 11 blocks).
uint32_t
    chain_median_time (const chain_node_t *node);

//  Accept a block's bytes: decode, check everything that needs no spent
//  outputs, and store it. ZC_ERR_DUPLICATE if known, ZC_ERR_ORPHAN if its
//  parent is unknown, ZC_ERR_INVALID_CHAIN if the parent is invalid, or the
//  rule it breaks. On ZC_OK *node_p (if not NULL) is its index entry. Does
//  not move the best chain: see chain_wants_step.
zc_err_t
    chain_accept (chain_t *self, const uint8_t *raw, size_t size, int64_t now,
                  chain_node_t **node_p);

//  True when a valid block with more work than the tip is known.
bool
    chain_wants_step (chain_t *self);

//  Prepare the next step toward the best chain. ZC_OK: step filled (the
//  caller owns its contents until commit or fail). Any other reason: the
//  next block breaks a UTXO rule; it is marked invalid already and step->node
//  names it. ZC_ERR_INTERNAL: the store failed.
zc_err_t
    chain_step_begin (chain_t *self, chain_step_t *step);

//  Write the step in one batch; *event filled with the event recorded.
//  0, or -1 when the store failed (the caller should exit and restart).
//  Clears the step.
int
    chain_step_commit (chain_t *self, chain_step_t *step, chain_event_t *event);

//  The step's block failed verification: mark it and its descendants
//  invalid, persist that, clear the step.
void
    chain_step_fail (chain_t *self, chain_step_t *step, zc_err_t reason);

//  Free a step's contents.
void
    chain_step_clear (chain_step_t *step);

//  Look up n coins from the persisted set (the tip's state; the cache
//  first, the rest in one RocksDB multi-get): found [i] is 1 when coins [i]
//  is filled, 0 when outpoint i is not unspent. 0, or -1 when the store
//  failed.
int
    chain_get_coins (chain_t *self, const zc_outpoint_t *outpoints, size_t n,
                     zc_coin_t *coins, uint8_t *found);

//  The stored bytes of a block: 1 and *raw_p (the caller frees), 0 unknown,
//  -1 failed.
int
    chain_get_block (chain_t *self, const zc_hash_t *hash, uint8_t **raw_p, size_t *size_p);

//  Where a confirmed transaction is: 1 with its block and position, 0 if
//  not on the best chain, -1 failed.
int
    chain_find_tx (chain_t *self, const zc_hash_t *txid, zc_hash_t *block_hash,
                   uint32_t *position);

//  Unspent outputs paying pubkey: calls visit for each, up to limit (0: no
//  limit); returns how many, or -1.
int
    chain_address_coins (chain_t *self, const uint8_t pubkey [32], size_t limit,
                         zc_utxo_visit_fn *visit, void *arg);

typedef struct {
    uint32_t tx_count;
    uint32_t size;                      //  bytes of the stored block
    bool fees_known;                    //  kept when it was connected (newer databases)
    uint64_t fees;
    uint32_t fee_bytes;                 //  bytes of its transactions but the coinbase
} chain_block_stats_t;

//  What a stored block holds and paid: 1 filled, 0 its data is missing,
//  -1 failed. Blocks connected before storage kept stats are counted from
//  their bytes, with fees_known false.
int
    chain_block_stats (chain_t *self, const chain_node_t *node, chain_block_stats_t *stats);

//  The coins a connected block spent (block order): 1 and *undo_p (the
//  caller destroys), 0 none stored (never connected), -1 failed.
int
    chain_get_undo (chain_t *self, const chain_node_t *node, zc_undo_t **undo_p);

//  The best-chain transaction spending outpoint: 1 with its txid and input,
//  0 unspent on the best chain (or spent before the index existed), -1 failed.
int
    chain_find_spender (chain_t *self, const zc_outpoint_t *outpoint, zc_hash_t *txid,
                        uint32_t *vin);

//  Best-chain transactions paying to or spending from pubkey, newest
//  first (by height, then txid), at most max, into txids and heights;
//  with after (confirmed at after_height), those that follow it. Returns
//  how many, or -1.
int
    chain_address_txs (chain_t *self, const uint8_t pubkey [32], const zc_hash_t *after,
                       uint32_t after_height, size_t max, zc_hash_t *txids, uint32_t *heights);

//  The last event's sequence number (0: none yet).
uint64_t
    chain_event_seq (chain_t *self);

//  Event seq: 1 found, 0 none, -1 failed.
int
    chain_get_event (chain_t *self, uint64_t seq, chain_event_t *event);

//  Bound the coin cache to max_bytes (dropping the oldest coins now if it
//  holds more); 0: no bound.
void
    chain_set_cache (chain_t *self, size_t max_bytes);

//  What the coin cache holds and how often it answered.
void
    chain_cache_stats (chain_t *self, chain_cache_stats_t *stats);

//  Bytes the database holds in memory (db_memory)
uint64_t
    chain_db_memory (chain_t *self);

//  Number of unspent outputs and their total (kept with the tip).
void
    chain_utxo_stats (chain_t *self, uint64_t *count, uint64_t *total);

//  The database under the chain (borrowed): its damage and its scrub.
db_t *
    chain_db (chain_t *self);

//  Steps the database was behind its tip note at open: acknowledged blocks
//  a power cut took, reported but accepted without sync. 0 with sync (the
//  open fails instead, the database marked damaged).
uint64_t
    chain_lost_steps (chain_t *self);

#endif
