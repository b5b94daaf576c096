/*  zc_tx.h - transactions: canonical encoding, txid and wtxid, signature hash
 *
 *  Encoding (docs/protocol.md has it byte by byte), little-endian:
 *
 *      u32 version | varint n_in  | n_in  x (32 txid | u32 index)
 *                  | varint n_out | n_out x (u64 amount | 32 x-only pubkey)
 *                  | n_in x 64-byte BIP340 signature      (absent in a coinbase)
 *
 *  txid = SHA256d of everything before the signatures, so nobody can change
 *  it by re-signing; wtxid = SHA256d of all of it and is what the merkle root
 *  commits to. A coinbase has exactly one input whose index is 0xffffffff;
 *  its 32-byte "txid" field carries the block height (u32 LE, bytes 0-3) and
 *  the miner's extranonce (u64 LE, bytes 4-11).
 */
#ifndef ZC_TX_H_INCLUDED
#define ZC_TX_H_INCLUDED

#include "zc_buf.h"
#include "zc_err.h"
#include "zc_hash.h"
#include "zc_key.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_TX_VERSION 1
#define ZC_TX_MAX_BYTES 100000          //  one transaction, witness included
#define ZC_TX_MIN_BYTES 6               //  version and two zero counts
#define ZC_OUTPOINT_BYTES 36
#define ZC_TXOUT_BYTES 40
#define ZC_COINBASE_INDEX 0xffffffffu

typedef struct {
    zc_hash_t txid;
    uint32_t index;
} zc_outpoint_t;

typedef struct {
    zc_outpoint_t prevout;
    uint8_t sig [ZC_SIG_SIZE];
} zc_txin_t;

typedef struct {
    uint64_t amount;                    //  base units, 1 coin = 100000000
    uint8_t pubkey [ZC_PUBKEY_SIZE];
} zc_txout_t;

//  An unspent output as a verifier needs it: what it pays, to whom, and
//  where it was created (for coinbase maturity).
typedef struct {
    uint64_t amount;
    uint8_t pubkey [ZC_PUBKEY_SIZE];
    uint32_t height;
    bool coinbase;
} zc_coin_t;

typedef struct {
    uint32_t version;
    uint32_t n_in;
    uint32_t n_out;
    zc_txin_t *in;                      //  point into the same allocation
    zc_txout_t *out;
    zc_hash_t txid;                     //  set by zc_tx_finalize and the decoders
    zc_hash_t wtxid;
    uint32_t size;                      //  full encoded size
    uint32_t base_size;                 //  size without signatures
} zc_tx_t;

//  A zeroed transaction with room for n_in inputs and n_out outputs, one
//  allocation; version is ZC_TX_VERSION. NULL when out of memory.
zc_tx_t *
    zc_tx_new (uint32_t n_in, uint32_t n_out);

//  Free a transaction and null the pointer; safe on NULL.
void
    zc_tx_destroy (zc_tx_t **self_p);

//  A deep copy; NULL when out of memory.
zc_tx_t *
    zc_tx_dup (const zc_tx_t *self);

//  Decode exactly size bytes as one transaction (trailing bytes are
//  malformed). On success *tx_p is the caller's with txid, wtxid and sizes
//  set. Errors: ZC_ERR_OVERSIZE over ZC_TX_MAX_BYTES, ZC_ERR_MALFORMED for
//  anything that does not decode canonically. Checks only the form.
zc_err_t
    zc_tx_decode (const uint8_t *data, size_t size, zc_tx_t **tx_p);

//  Decode one transaction from a reader (inside a block); same rules.
zc_err_t
    zc_tx_read (zc_reader_t *reader, zc_tx_t **tx_p);

//  Append the encoding (with signatures when witness) to a writer.
void
    zc_tx_write (const zc_tx_t *self, zc_writer_t *writer, bool witness);

//  The full encoding in a new buffer the caller frees; size in *size_p.
uint8_t *
    zc_tx_encode (const zc_tx_t *self, size_t *size_p);

//  Recompute txid, wtxid, size and base_size after editing fields.
void
    zc_tx_finalize (zc_tx_t *self);

//  True for the shape of a coinbase: one input with index 0xffffffff.
bool
    zc_tx_is_coinbase (const zc_tx_t *self);

//  Height a coinbase claims (bytes 0-3 of its input's txid field).
uint32_t
    zc_coinbase_height (const zc_tx_t *self);

//  A finalized coinbase for a block at height paying amount to pubkey
//  under the miner's extranonce. NULL when out of memory.
zc_tx_t *
    zc_coinbase_new (uint32_t height, uint64_t extranonce, uint64_t amount,
                     const uint8_t pubkey [ZC_PUBKEY_SIZE]);

//  Signature hash state for one transaction: computed once, then one
//  message per input. Commits to the network (genesis hash), the txid (so
//  every input and output), every spent output's amount and key, and the
//  input's index.
typedef struct {
    zc_sha256_t prefix;                 //  tag, genesis, txid, spent outputs
} zc_sighash_t;

//  spent holds one coin per input, in input order.
void
    zc_sighash_init (zc_sighash_t *self, const zc_tx_t *tx, const zc_coin_t *spent,
                     const zc_hash_t *genesis);

void
    zc_sighash_input (const zc_sighash_t *self, uint32_t index, uint8_t msg [32]);

//  Sign every input with keys [i] (the key of input i's spent output), then
//  finalize. 0, or -1 when a key is invalid or does not own the coin.
int
    zc_tx_sign (zc_tx_t *self, const zc_coin_t *spent, const zc_hash_t *genesis,
                const zc_seckey_t *keys);

//  ZC_OK when every input's signature verifies against its spent coin;
//  ZC_ERR_BAD_SIG otherwise. A coinbase has nothing to verify.
zc_err_t
    zc_tx_verify_sigs (const zc_tx_t *self, const zc_coin_t *spent,
                       const zc_hash_t *genesis);

//  Outpoint as a 36-byte key: txid | u32 index big-endian (so one
//  transaction's outputs sort together and in order).
void
    zc_outpoint_key (const zc_outpoint_t *outpoint, uint8_t key [36]);

//  Equal outpoints.
bool
    zc_outpoint_eq (const zc_outpoint_t *a, const zc_outpoint_t *b);

#endif
