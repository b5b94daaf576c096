/*  zc_params.h - chain parameters of each network and their genesis blocks
 *
 *  regtest: the minimum difficulty, no retargeting and a coinbase maturity
 *  of 10 blocks, for tests and the local default. devnet: real retargeting
 *  toward one block per 10 seconds every 30 blocks, clamped to 4x either
 *  way, and Bitcoin's maturity of 100. Both genesis blocks are fixed here
 *  and reproduced byte for byte by zc_params_genesis (docs/protocol.md).
 */
#ifndef ZC_PARAMS_H_INCLUDED
#define ZC_PARAMS_H_INCLUDED

#include "zc_block.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    ZC_NET_REGTEST = 0,
    ZC_NET_DEVNET = 1
} zc_network_t;

typedef struct {
    zc_network_t network;
    const char *name;                   //  "regtest", "devnet"
    const char *hrp;                    //  address prefix: "zcrt", "zc"
    uint32_t coin_type;                 //  the wallet's BIP44 coin type: m/86'/coin_type'/0'
    uint32_t pow_limit_bits;            //  easiest allowed target
    bool retarget;                      //  false: every block at pow_limit_bits
    uint32_t target_spacing;            //  seconds between blocks, aimed at
    uint32_t retarget_interval;         //  blocks per difficulty period
    uint32_t coinbase_maturity;         //  confirmations before a coinbase spends
    uint64_t initial_subsidy;           //  base units
    uint32_t halving_interval;          //  blocks
    uint32_t max_future_time;           //  seconds a block may run ahead of us
    uint32_t median_time_span;          //  blocks in the median-time-past
    uint16_t p2p_port;                  //  default peer-to-peer port
    uint32_t genesis_time;
    uint32_t genesis_nonce;
    const char *genesis_hash_hex;       //  what zc_params_genesis must hash to
} zc_params_t;

//  Parameters of a network; never NULL for a valid network. Borrowed, static.
const zc_params_t *
    zc_params_get (zc_network_t network);

//  Parameters by name ("regtest", "devnet"); NULL for another name.
const zc_params_t *
    zc_params_by_name (const char *name);

//  A new genesis block of the network; the caller destroys it.
zc_block_t *
    zc_params_genesis (const zc_params_t *params);

//  The genesis block hash (computed once; borrowed).
const zc_hash_t *
    zc_params_genesis_hash (const zc_params_t *params);

//  Block subsidy at height: initial_subsidy halved every halving_interval,
//  zero after 64 halvings.
uint64_t
    zc_params_subsidy (const zc_params_t *params, uint32_t height);

//  Bits required of the block at height, given the bits of its parent and,
//  at a retarget boundary, the times of the first and last blocks of the
//  period just ended (the caller looks them up; ignored elsewhere).
uint32_t
    zc_params_next_bits (const zc_params_t *params, uint32_t height, uint32_t parent_bits,
                         uint32_t period_first_time, uint32_t period_last_time);

//  True when a block at height starts a new difficulty period.
bool
    zc_params_is_retarget_height (const zc_params_t *params, uint32_t height);

//  The key the genesis coinbase pays: a point nobody knows the discrete log
//  of (BIP341's H), so the genesis output can never be spent.
extern const uint8_t zc_params_nums_key [32];

#endif
