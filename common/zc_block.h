/*  zc_block.h - block headers, blocks and merkle roots
 *
 *  Header, 80 bytes little-endian:
 *      u32 version | 32 prev hash | 32 merkle root | u32 time | u32 bits | u32 nonce
 *  block hash = SHA256d (header), stored and shown in that byte order and read
 *  as a big-endian number for proof of work. A block is its header, a
 *  varint count and that many full transactions (zc_tx.h), coinbase first.
 *
 *  The merkle root is over wtxids, RFC 6962 style: leaf = SHA256 (0x00 ||
 *  wtxid), node = SHA256 (0x01 || left || right), and an odd node at the end
 *  of a level moves up unchanged. Nothing is duplicated, so two different
 *  transaction lists never share a root (CVE-2012-2459), and a leaf can
 *  never pass for an inner node.
 */
#ifndef ZC_BLOCK_H_INCLUDED
#define ZC_BLOCK_H_INCLUDED

#include "zc_err.h"
#include "zc_hash.h"
#include "zc_tx.h"

#include <stddef.h>
#include <stdint.h>

#define ZC_HEADER_SIZE 80
#define ZC_BLOCK_VERSION 1
#define ZC_BLOCK_MAX_BYTES 8000000      //  whole encoded block

typedef struct {
    uint32_t version;
    zc_hash_t prev;
    zc_hash_t merkle;
    uint32_t time;                      //  seconds since the Unix epoch
    uint32_t bits;                      //  compact target (zc_pow.h)
    uint32_t nonce;
} zc_header_t;

typedef struct {
    zc_header_t header;
    zc_hash_t hash;                     //  set by the decoder and zc_block_finalize
    uint32_t n_tx;
    zc_tx_t **tx;                       //  owned; tx [0] is the coinbase
    size_t size;                        //  encoded size
} zc_block_t;

//  Write the 80-byte encoding.
void
    zc_header_encode (const zc_header_t *self, uint8_t out [ZC_HEADER_SIZE]);

//  Decode exactly 80 bytes. ZC_ERR_MALFORMED on another size.
zc_err_t
    zc_header_decode (const uint8_t *data, size_t size, zc_header_t *header);

//  hash = SHA256d (encoding)
void
    zc_header_hash (const zc_header_t *self, zc_hash_t *hash);

//  An empty block with room for n_tx transactions (all NULL). NULL when out
//  of memory.
zc_block_t *
    zc_block_new (uint32_t n_tx);

//  Free the block and its transactions; null the pointer; safe on NULL.
void
    zc_block_destroy (zc_block_t **self_p);

//  Decode exactly size bytes. The caller owns *block_p on success, with
//  hash, size and every txid set. ZC_ERR_OVERSIZE beyond ZC_BLOCK_MAX_BYTES
//  or for an oversize transaction; ZC_ERR_MALFORMED otherwise. Form only:
//  no consensus checks (zc_check.h).
zc_err_t
    zc_block_decode (const uint8_t *data, size_t size, zc_block_t **block_p);

//  The encoding in a new buffer the caller frees; size in *size_p.
uint8_t *
    zc_block_encode (const zc_block_t *self, size_t *size_p);

//  Where each transaction lies in the block's encoding, so its bytes can
//  be sliced out of the block's instead of encoded again: tx [i] is the
//  tx [i]->size bytes at offsets [i] (offsets: n_tx entries, the
//  caller's). Holds for a block as decoded (the bytes it was decoded
//  from) or finalized since its last edit (zc_block_encode's bytes).
//  Returns the size of the encoding those spans imply: block->size for a
//  consistent block, so a caller holding bytes can check they are these.
size_t
    zc_block_tx_offsets (const zc_block_t *self, size_t *offsets);

//  Recompute the header's merkle root from the transactions, then hash and
//  size. Call after editing transactions.
void
    zc_block_finalize (zc_block_t *self);

//  Search nonces, from the header's own, until the block's hash meets its
//  bits (hash recomputed first, so a header edited after finalize is fine).
//  For tests and tools at easy targets (regtest: about two tries); the
//  miner has its own search that can be abandoned.
void
    zc_block_solve (zc_block_t *self, uint32_t pow_limit_bits);

//  Root over n leaf hashes (wtxids). n = 0 gives all zeros.
void
    zc_merkle_root (const zc_hash_t *leaves, size_t n, zc_hash_t *root);

//  Root over the block's wtxids.
void
    zc_block_merkle (const zc_block_t *self, zc_hash_t *root);

#endif
