/*  zc_params.c - network parameters and genesis blocks */
#include "zc_params.h"
#include "zc_pow.h"

#include <pthread.h>
#include <string.h>

#define ZC_COIN_UNITS 100000000ULL

//  found once by search (tests/test_params.c checks they still hold)
#define ZC_GENESIS_NONCE_REGTEST 0
#define ZC_GENESIS_HASH_REGTEST "52acc5a972f9e60c0fbdbe089e42a02e7e62bfc341af8603b4801cfce2efef49"
#define ZC_GENESIS_NONCE_DEVNET 100082
#define ZC_GENESIS_HASH_DEVNET "00000abc24ec86512a0ffc9be6d05df0d1cc1d03ce85784ef586053b93a7f83b"

//  BIP341's nothing-up-my-sleeve point H: the x coordinate of the SHA-256 of
//  the uncompressed secp256k1 generator, taken as a point.
const uint8_t zc_params_nums_key [32] = {
    0x50, 0x92, 0x9b, 0x74, 0xc1, 0xa0, 0x49, 0x54, 0xb7, 0x8b, 0x4b, 0x60, 0x35, 0xe9, 0x7a, 0x5e,
    0x07, 0x8a, 0x5a, 0x0f, 0x28, 0xec, 0x96, 0xd5, 0x47, 0xbf, 0xee, 0x9a, 0xce, 0x80, 0x3a, 0xc0
};

static const zc_params_t s_params [] = {
    {
        .network = ZC_NET_REGTEST, .name = "regtest", .hrp = "zcrt",
        //  SLIP-44's 1: every coin's test network
        .coin_type = 1,
        .pow_limit_bits = 0x207fffff, .retarget = false,
        .target_spacing = 1, .retarget_interval = 1,
        .coinbase_maturity = 10,
        .initial_subsidy = 50 * ZC_COIN_UNITS, .halving_interval = 100000,
        .max_future_time = 2 * 60 * 60, .median_time_span = 11,
        .p2p_port = 7770,
        .genesis_time = 1767225600,     //  2026-01-01T00:00:00Z
        .genesis_nonce = ZC_GENESIS_NONCE_REGTEST,
        .genesis_hash_hex = ZC_GENESIS_HASH_REGTEST
    },
    {
        .network = ZC_NET_DEVNET, .name = "devnet", .hrp = "zc",
        //  0x7a63, "zc": chosen here, not registered in SLIP-44
        .coin_type = 31331,
        .pow_limit_bits = 0x1e7fffff, .retarget = true,
        .target_spacing = 10, .retarget_interval = 30,
        .coinbase_maturity = 100,
        .initial_subsidy = 50 * ZC_COIN_UNITS, .halving_interval = 210000,
        .max_future_time = 2 * 60 * 60, .median_time_span = 11,
        .p2p_port = 7770,
        .genesis_time = 1767225600,
        .genesis_nonce = ZC_GENESIS_NONCE_DEVNET,
        .genesis_hash_hex = ZC_GENESIS_HASH_DEVNET
    }
};

const zc_params_t *
zc_params_get (zc_network_t network)
{
    if ((int) network < 0 || (size_t) network >= sizeof s_params / sizeof s_params [0])
        return NULL;
    return &s_params [network];
}

const zc_params_t *
zc_params_by_name (const char *name)
{
    for (size_t i = 0; name && i < sizeof s_params / sizeof s_params [0]; i++)
        if (strcmp (s_params [i].name, name) == 0)
            return &s_params [i];
    return NULL;
}

zc_block_t *
zc_params_genesis (const zc_params_t *params)
{
    zc_block_t *block = zc_block_new (1);
    if (!block)
        return NULL;
    block->tx [0] = zc_coinbase_new (0, 0, 0, zc_params_nums_key);
    if (!block->tx [0]) {
        zc_block_destroy (&block);
        return NULL;
    }
    block->header.version = ZC_BLOCK_VERSION;
    block->header.time = params->genesis_time;
    block->header.bits = params->pow_limit_bits;
    block->header.nonce = params->genesis_nonce;
    zc_block_finalize (block);
    return block;
}

static zc_hash_t s_genesis_hash [2];
static pthread_once_t s_genesis_once = PTHREAD_ONCE_INIT;

static void
s_genesis_init (void)
{
    for (int i = 0; i < 2; i++) {
        zc_block_t *block = zc_params_genesis (&s_params [i]);
        if (block)
            s_genesis_hash [i] = block->hash;
        zc_block_destroy (&block);
    }
}

const zc_hash_t *
zc_params_genesis_hash (const zc_params_t *params)
{
    pthread_once (&s_genesis_once, s_genesis_init);
    return &s_genesis_hash [params->network];
}

uint64_t
zc_params_subsidy (const zc_params_t *params, uint32_t height)
{
    uint32_t halvings = height / params->halving_interval;
    if (halvings >= 64)
        return 0;
    return params->initial_subsidy >> halvings;
}

bool
zc_params_is_retarget_height (const zc_params_t *params, uint32_t height)
{
    return params->retarget && height > 0 && height % params->retarget_interval == 0;
}

uint32_t
zc_params_next_bits (const zc_params_t *params, uint32_t height, uint32_t parent_bits,
                     uint32_t period_first_time, uint32_t period_last_time)
{
    if (!params->retarget || height == 0)
        return params->pow_limit_bits;
    if (!zc_params_is_retarget_height (params, height))
        return parent_bits;
    //  first and last block of a period are interval - 1 spacings apart
    int64_t target = (int64_t) params->target_spacing * (params->retarget_interval - 1);
    int64_t actual = (int64_t) period_last_time - (int64_t) period_first_time;
    return zc_pow_retarget (parent_bits, actual, target, params->pow_limit_bits);
}
