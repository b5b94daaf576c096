/*  zc_utxo.h - a view of the unspent output set: connect and disconnect blocks
 *
 *  A view caches coins in memory and asks a fetch callback for the ones it
 *  has not seen (storage backs it with RocksDB; tests use no backing at
 *  all). Connecting a block spends its inputs, adds its outputs and gives
 *  back undo data: the coins it spent, in order. Disconnecting with that
 *  undo data gives back exactly the previous set. A connect or disconnect
 *  that fails leaves the view as it was.
 *
 *  Changed entries are marked dirty so storage can write just those in one
 *  batch (zc_utxo_each_dirty) and then forget them (zc_utxo_clear_dirty).
 *
 *  Views stack: storage keeps one long-lived view as its coin cache (clean
 *  entries only, bounded in bytes: zc_utxo_set_limit, zc_utxo_trim) and
 *  connects or disconnects each block in a short-lived view whose fetch
 *  reads through that cache to RocksDB. Once the block's batch is written,
 *  zc_utxo_apply copies the short view's changes into the cache; a block
 *  that fails, or a write that fails, leaves the cache as it was, so the
 *  cache always says what the store says.
 */
#ifndef ZC_UTXO_H_INCLUDED
#define ZC_UTXO_H_INCLUDED

#include "zc_block.h"
#include "zc_err.h"
#include "zc_params.h"
#include "zc_tx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_COIN_BYTES 45                //  encoded zc_coin_t

typedef struct _zc_utxo_t zc_utxo_t;

//  Look up a coin the view has not cached: 1 found (coin filled), 0 no such
//  unspent output, -1 the backing store failed.
typedef int (zc_utxo_fetch_fn) (void *arg, const zc_outpoint_t *outpoint, zc_coin_t *coin);

//  Called for each entry: coin is NULL for an output that is now spent.
typedef void (zc_utxo_visit_fn) (void *arg, const zc_outpoint_t *outpoint,
                                 const zc_coin_t *coin);

//  Coins spent by one block, in block order and input order.
typedef struct {
    uint32_t n;
    zc_coin_t *coins;
} zc_undo_t;

//  A new empty view over fetch (NULL: nothing outside the view exists).
zc_utxo_t *
    zc_utxo_new (zc_utxo_fetch_fn *fetch, void *arg);

void
    zc_utxo_destroy (zc_utxo_t **self_p);

//  Make room for n more entries at once (a block's inputs and outputs), so
//  that filling them rehashes nothing. 0, or -1 when memory ran out (the
//  view is unchanged and still usable).
int
    zc_utxo_reserve (zc_utxo_t *self, size_t n);

//  1 and coin filled when outpoint is unspent, 0 when not, -1 when the
//  backing store failed.
int
    zc_utxo_get (zc_utxo_t *self, const zc_outpoint_t *outpoint, zc_coin_t *coin);

//  Add an unspent output (setting up a test or loading a snapshot).
//  0, or -1 when it exists already or memory ran out.
int
    zc_utxo_add (zc_utxo_t *self, const zc_outpoint_t *outpoint, const zc_coin_t *coin);

//  Connect block at height: every input must be unspent (ZC_ERR_UNKNOWN_INPUT,
//  or ZC_ERR_DOUBLE_SPEND when spent earlier in this view), coinbases mature
//  (ZC_ERR_IMMATURE_SPEND), outputs within inputs (ZC_ERR_BAD_AMOUNT), every
//  transaction but the coinbase with an input (ZC_ERR_EMPTY), and the
//  coinbase at height (checked first) and within subsidy plus fees
//  (ZC_ERR_BAD_COINBASE). Outputs are not looked up: with these rules no
//  output can exist already. Signatures are not checked here. On
//  ZC_OK *undo_p is the caller's (zc_undo_destroy) and *fees_p, if not NULL,
//  the fees; on error nothing changed.
zc_err_t
    zc_utxo_connect (zc_utxo_t *self, const zc_block_t *block, uint32_t height,
                     const zc_params_t *params, zc_undo_t **undo_p, uint64_t *fees_p);

//  Disconnect the view's last connected block using its undo data.
//  ZC_ERR_INTERNAL when the view does not match the block (a caller bug or
//  corruption); nothing changes then.
zc_err_t
    zc_utxo_disconnect (zc_utxo_t *self, const zc_block_t *block, const zc_undo_t *undo);

//  Visit every cached entry changed since the last clear.
void
    zc_utxo_each_dirty (zc_utxo_t *self, zc_utxo_visit_fn *visit, void *arg);

//  Forget the dirty marks (after storage wrote them).
void
    zc_utxo_clear_dirty (zc_utxo_t *self);

//  What the view holds for outpoint, without asking the backing store.
//  Returns: 1 unspent (coin filled), 0 known spent or absent, -1 not held.
int
    zc_utxo_peek (zc_utxo_t *self, const zc_outpoint_t *outpoint, zc_coin_t *coin);

//  Remember, clean (not a change), what the backing store holds for
//  outpoint. In: coin, or NULL when the store has no such unspent output.
//  Returns: 0, or -1 when not remembered: out of memory, or the view is at
//  its bound (harmless: a later look-up asks the store again).
int
    zc_utxo_remember (zc_utxo_t *self, const zc_outpoint_t *outpoint, const zc_coin_t *coin);

//  Copy every entry of self changed since its last clear into into, as
//  clean entries (call it once self's changes are written to into's
//  store). Entries into's bound keeps out are left to the store. Advances
//  into's clock, the age that zc_utxo_trim drops the oldest by.
void
    zc_utxo_apply (zc_utxo_t *self, zc_utxo_t *into);

//  Bound the view's table to max_bytes (0, the default: no bound). A clean
//  entry the table would have to grow past the bound for is not kept
//  (zc_utxo_full says so); changes are always kept.
void
    zc_utxo_set_limit (zc_utxo_t *self, size_t max_bytes);

//  Bytes the view holds: its table and journal.
size_t
    zc_utxo_memory (const zc_utxo_t *self);

//  True when the view is at its bound and turns clean entries away.
bool
    zc_utxo_full (const zc_utxo_t *self);

//  Drop the clean entries used longest ago (by zc_utxo_apply's clock), so
//  that what is left fills the largest table within the bound half as much
//  as it may get; shrinks the table to that size. Changes are never
//  dropped. Returns: the slots freed (0 when nothing had to go).
size_t
    zc_utxo_trim (zc_utxo_t *self);

//  Visit every unspent output the view holds in memory (tests, snapshots).
void
    zc_utxo_each (zc_utxo_t *self, zc_utxo_visit_fn *visit, void *arg);

//  Unspent entries held in memory.
size_t
    zc_utxo_size (const zc_utxo_t *self);

void
    zc_undo_destroy (zc_undo_t **self_p);

//  Undo data encoding: varint n | n x coin (ZC_COIN_BYTES each). A new
//  buffer the caller frees.
uint8_t *
    zc_undo_encode (const zc_undo_t *self, size_t *size_p);

zc_err_t
    zc_undo_decode (const uint8_t *data, size_t size, zc_undo_t **undo_p);

//  Coin encoding: u64 amount | 32 pubkey | u32 height | u8 coinbase (0 or 1).
void
    zc_coin_encode (const zc_coin_t *coin, uint8_t out [ZC_COIN_BYTES]);

zc_err_t
    zc_coin_decode (const uint8_t *data, size_t size, zc_coin_t *coin);

#endif
