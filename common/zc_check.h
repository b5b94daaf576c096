/*  zc_check.h - consensus checks that need no chain state, and the few that
 *  need only a summary of the parent (height, median time, required bits)
 *
 *  Every check returns ZC_OK or the reason for the first rule broken, so a
 *  reject reply always names one rule. Signatures and spent outputs are
 *  checked elsewhere (zc_tx_verify_sigs, zc_utxo).
 */
#ifndef ZC_CHECK_H_INCLUDED
#define ZC_CHECK_H_INCLUDED

#include "zc_block.h"
#include "zc_err.h"
#include "zc_keycache.h"
#include "zc_params.h"
#include "zc_tx.h"

#include <stdbool.h>
#include <stdint.h>

//  A transaction on its own: version, non-empty inputs and outputs, size,
//  each amount and their sum within the money range, no input twice.
//  Coinbases pass (their place is checked with the block).
zc_err_t
    zc_check_tx (const zc_tx_t *tx);

//  A transaction offered outside a block (mempool, relay): zc_check_tx and
//  not a coinbase.
zc_err_t
    zc_check_loose_tx (const zc_tx_t *tx);

//  Relay policy (standardness), not consensus: the mempool refuses what
//  these refuse, but a block that contains it is valid.
//
//  An output is dust when it carries less than spending it would cost at
//  the dust fee rate: its own bytes in the canonical encoding (amount 8,
//  key 32) and those of the input that spends it (outpoint 36, signature
//  64), 140 in all, at base units per 1000 bytes, rounded up.
#define ZC_DUST_SPEND_BYTES (ZC_TXOUT_BYTES + ZC_OUTPOINT_BYTES + ZC_SIG_SIZE)
#define ZC_DUST_FEE_RATE_DEFAULT 3000   //  3 x the default minimum relay fee, as Bitcoin Core
#define ZC_DUST_THRESHOLD_DEFAULT ((ZC_DUST_SPEND_BYTES * ZC_DUST_FEE_RATE_DEFAULT + 999) / 1000)   //  420

//  The smallest amount an output may carry at dust_fee_rate (base units per
//  1000 bytes): never less than 1, so a zero-value output is always dust.
uint64_t
    zc_dust_threshold (uint64_t dust_fee_rate);

//  A transaction's outputs under the relay policy: ZC_ERR_DUST when one
//  carries less than zc_dust_threshold (dust_fee_rate), else
//  ZC_ERR_BAD_PUBKEY when one's key is not the x coordinate of a curve
//  point (no one could ever spend it), else ZC_OK. Amounts are checked
//  first: they cost nothing, a key a Legendre symbol, unless keys (a
//  cache, or NULL for none) holds it already.
zc_err_t
    zc_check_standard_tx (const zc_tx_t *tx, uint64_t dust_fee_rate, zc_keycache_t *keys);

//  A header on its own: version, a valid target no easier than the
//  network's limit, the hash meets it, and the time at most
//  max_future_time ahead of now (seconds since the epoch).
zc_err_t
    zc_check_header (const zc_header_t *header, const zc_hash_t *hash,
                     const zc_params_t *params, int64_t now);

//  A block on its own: zc_check_header, size, at least one transaction,
//  the first and only the first a coinbase, every transaction by
//  zc_check_tx, no txid twice, and the merkle root.
zc_err_t
    zc_check_block (const zc_block_t *block, const zc_params_t *params, int64_t now);

//  What a block must agree with about its parent.
typedef struct {
    uint32_t height;                    //  height of the new block
    uint32_t median_time;               //  median time of the last blocks
    uint32_t bits;                      //  the bits the chain requires
} zc_context_t;

//  A header against its parent: bits as required, time after the median.
zc_err_t
    zc_check_header_context (const zc_header_t *header, const zc_context_t *ctx);

//  The block's first transaction claims height (its prev_txid's bytes 0-3).
//  Returns ZC_OK, or ZC_ERR_BAD_COINBASE. In: a block with a transaction.
zc_err_t
    zc_check_coinbase_height (const zc_block_t *block, uint32_t height);

//  The coinbase claims the right height and pays no more than subsidy plus
//  fees (known only once the spent outputs are).
zc_err_t
    zc_check_coinbase (const zc_block_t *block, uint32_t height, uint64_t fees,
                       const zc_params_t *params);

//  May coin be spent by a transaction in a block at spend_height?
//  Returns true for any output but a coinbase's, and for a coinbase's
//  once spend_height - coin->height >= maturity (the params'
//  coinbase_maturity); false before, and when spend_height is below the
//  coin's height. The one statement of the maturity rule: the mempool,
//  storage's UTXO view, the validators and the address query all ask it.
bool
    zc_coin_mature (const zc_coin_t *coin, uint32_t spend_height, uint32_t maturity);

//  A transaction against the coins it spends (coins [i] is what input i
//  spends), in a block at spend_height: every coin mature (zc_coin_mature,
//  else ZC_ERR_IMMATURE_SPEND), the inputs' sum and the outputs' sum each
//  within the money range (zc_amount_add, else ZC_ERR_BAD_AMOUNT) and the
//  outputs no more than the inputs (ZC_ERR_BAD_AMOUNT). Out: *fee the
//  difference on ZC_OK; *bad_input (if not NULL) the input at fault for
//  an immature or out-of-range coin, else tx->n_in. The one statement of
//  these rules: the mempool at admission and storage's UTXO view at
//  connect ask it; validators check only signatures.
zc_err_t
    zc_check_spends (const zc_tx_t *tx, const zc_coin_t *coins, uint32_t spend_height,
                     uint32_t maturity, uint64_t *fee, uint32_t *bad_input);

//  Median of up to 11 block times (for the median time past).
uint32_t
    zc_median_time (const uint32_t *times, size_t n);

#endif
