/*  zc_check.c - context-free consensus checks */
#include "zc_check.h"
#include "zc_amount.h"
#include "zc_key.h"
#include "zc_pow.h"

#include <stdlib.h>
#include <string.h>

static int
s_outpoint_cmp (const void *a, const void *b)
{
    return memcmp (a, b, sizeof (zc_outpoint_t));
}

static int
s_hash_cmp (const void *a, const void *b)
{
    return memcmp (a, b, sizeof (zc_hash_t));
}

//  True when some outpoint appears twice. Small inputs compare pairwise;
//  larger ones sort a copy (n log n, no quadratic blow-up for big txs).
static bool
s_has_duplicate_input (const zc_tx_t *tx)
{
    if (tx->n_in <= 16) {
        for (uint32_t i = 0; i < tx->n_in; i++)
            for (uint32_t j = i + 1; j < tx->n_in; j++)
                if (zc_outpoint_eq (&tx->in [i].prevout, &tx->in [j].prevout))
                    return true;
        return false;
    }
    zc_outpoint_t *sorted = malloc (tx->n_in * sizeof *sorted);
    if (!sorted)
        return true;                    //  cannot prove otherwise: refuse
    for (uint32_t i = 0; i < tx->n_in; i++) {
        memset (&sorted [i], 0, sizeof sorted [i]);     //  padding compares equal
        sorted [i].txid = tx->in [i].prevout.txid;
        sorted [i].index = tx->in [i].prevout.index;
    }
    qsort (sorted, tx->n_in, sizeof *sorted, s_outpoint_cmp);
    bool dup = false;
    for (uint32_t i = 1; i < tx->n_in && !dup; i++)
        dup = zc_outpoint_eq (&sorted [i - 1], &sorted [i]);
    free (sorted);
    return dup;
}

zc_err_t
zc_check_tx (const zc_tx_t *tx)
{
    if (tx->version != ZC_TX_VERSION)
        return ZC_ERR_BAD_VERSION;
    if (tx->n_in == 0 || tx->n_out == 0)
        return ZC_ERR_EMPTY;
    if (tx->size > ZC_TX_MAX_BYTES)
        return ZC_ERR_OVERSIZE;
    uint64_t total = 0;
    for (uint32_t i = 0; i < tx->n_out; i++)
        if (!zc_amount_valid (tx->out [i].amount) || !zc_amount_add (&total, tx->out [i].amount))
            return ZC_ERR_BAD_AMOUNT;
    if (s_has_duplicate_input (tx))
        return ZC_ERR_DUPLICATE_INPUT;
    return ZC_OK;
}

zc_err_t
zc_check_loose_tx (const zc_tx_t *tx)
{
    zc_err_t rc = zc_check_tx (tx);
    if (rc != ZC_OK)
        return rc;
    if (zc_tx_is_coinbase (tx))
        return ZC_ERR_COINBASE_TX;
    return ZC_OK;
}

uint64_t
zc_dust_threshold (uint64_t dust_fee_rate)
{
    if (dust_fee_rate > (UINT64_MAX - 999) / ZC_DUST_SPEND_BYTES)
        return UINT64_MAX;              //  no amount is that large: every output is dust
    uint64_t cost = (ZC_DUST_SPEND_BYTES * dust_fee_rate + 999) / 1000;
    return cost > 0 ? cost : 1;
}

zc_err_t
zc_check_standard_tx (const zc_tx_t *tx, uint64_t dust_fee_rate, zc_keycache_t *keys)
{
    uint64_t dust = zc_dust_threshold (dust_fee_rate);
    for (uint32_t o = 0; o < tx->n_out; o++)
        if (tx->out [o].amount < dust)
            return ZC_ERR_DUST;
    for (uint32_t o = 0; o < tx->n_out; o++)
        if (!zc_keycache_is_valid (keys, tx->out [o].pubkey))
            return ZC_ERR_BAD_PUBKEY;
    return ZC_OK;
}

zc_err_t
zc_check_header (const zc_header_t *header, const zc_hash_t *hash,
                 const zc_params_t *params, int64_t now)
{
    if (header->version != ZC_BLOCK_VERSION)
        return ZC_ERR_BAD_VERSION;
    zc_u256_t target, limit;
    if (zc_bits_to_target (header->bits, &target) || zc_bits_to_target (params->pow_limit_bits, &limit)
    ||  zc_u256_cmp (&target, &limit) > 0)
        return ZC_ERR_BAD_BITS;
    if (!zc_pow_check (hash, header->bits, params->pow_limit_bits))
        return ZC_ERR_BAD_POW;
    if ((int64_t) header->time > now + (int64_t) params->max_future_time)
        return ZC_ERR_BAD_TIME;
    return ZC_OK;
}

static bool
s_has_duplicate_txid (const zc_block_t *block)
{
    zc_hash_t *ids = malloc (block->n_tx * sizeof *ids);
    if (!ids)
        return true;
    for (uint32_t i = 0; i < block->n_tx; i++)
        ids [i] = block->tx [i]->txid;
    qsort (ids, block->n_tx, sizeof *ids, s_hash_cmp);
    bool dup = false;
    for (uint32_t i = 1; i < block->n_tx && !dup; i++)
        dup = zc_hash_eq (&ids [i - 1], &ids [i]);
    free (ids);
    return dup;
}

zc_err_t
zc_check_block (const zc_block_t *block, const zc_params_t *params, int64_t now)
{
    zc_err_t rc = zc_check_header (&block->header, &block->hash, params, now);
    if (rc != ZC_OK)
        return rc;
    if (block->size > ZC_BLOCK_MAX_BYTES)
        return ZC_ERR_OVERSIZE;
    if (block->n_tx == 0)
        return ZC_ERR_EMPTY;
    if (!zc_tx_is_coinbase (block->tx [0]))
        return ZC_ERR_BAD_COINBASE;
    for (uint32_t i = 1; i < block->n_tx; i++)
        if (zc_tx_is_coinbase (block->tx [i]))
            return ZC_ERR_COINBASE_TX;
    for (uint32_t i = 0; i < block->n_tx; i++)
        if ((rc = zc_check_tx (block->tx [i])) != ZC_OK)
            return rc;
    zc_hash_t root;
    zc_block_merkle (block, &root);
    if (!zc_hash_eq (&root, &block->header.merkle))
        return ZC_ERR_BAD_MERKLE;
    //  the same transaction twice is a body no valid block has (Bitcoin's
    //  tree duplicated an odd last node, so there such a body could keep
    //  the root: CVE-2012-2459; ours promotes it, but the rule costs
    //  little): refused as a mutated body, never read as "already have it"
    if (s_has_duplicate_txid (block))
        return ZC_ERR_BAD_MERKLE;
    return ZC_OK;
}

zc_err_t
zc_check_header_context (const zc_header_t *header, const zc_context_t *ctx)
{
    if (header->bits != ctx->bits)
        return ZC_ERR_BAD_BITS;
    if (ctx->height > 0 && header->time <= ctx->median_time)
        return ZC_ERR_BAD_TIME;
    return ZC_OK;
}

zc_err_t
zc_check_coinbase_height (const zc_block_t *block, uint32_t height)
{
    return zc_coinbase_height (block->tx [0]) == height ? ZC_OK : ZC_ERR_BAD_COINBASE;
}

zc_err_t
zc_check_coinbase (const zc_block_t *block, uint32_t height, uint64_t fees,
                   const zc_params_t *params)
{
    const zc_tx_t *coinbase = block->tx [0];
    if (zc_check_coinbase_height (block, height) != ZC_OK)
        return ZC_ERR_BAD_COINBASE;
    uint64_t allowed = zc_params_subsidy (params, height);
    if (!zc_amount_add (&allowed, fees))
        return ZC_ERR_BAD_AMOUNT;
    uint64_t paid = 0;
    for (uint32_t i = 0; i < coinbase->n_out; i++)
        if (!zc_amount_add (&paid, coinbase->out [i].amount))
            return ZC_ERR_BAD_AMOUNT;
    return paid > allowed ? ZC_ERR_BAD_COINBASE : ZC_OK;
}

uint32_t
zc_median_time (const uint32_t *times, size_t n)
{
    if (n == 0)
        return 0;
    uint32_t sorted [11];
    if (n > 11) {
        times += n - 11;                //  the most recent 11
        n = 11;
    }
    memcpy (sorted, times, n * sizeof *times);
    for (size_t i = 1; i < n; i++)      //  insertion sort: n <= 11
        for (size_t j = i; j > 0 && sorted [j - 1] > sorted [j]; j--) {
            uint32_t t = sorted [j];
            sorted [j] = sorted [j - 1];
            sorted [j - 1] = t;
        }
    return sorted [n / 2];
}

bool
zc_coin_mature (const zc_coin_t *coin, uint32_t spend_height, uint32_t maturity)
{
    if (!coin->coinbase)
        return true;
    return spend_height >= coin->height && spend_height - coin->height >= maturity;
}

zc_err_t
zc_check_spends (const zc_tx_t *tx, const zc_coin_t *coins, uint32_t spend_height,
                 uint32_t maturity, uint64_t *fee, uint32_t *bad_input)
{
    uint64_t in = 0, out = 0;
    if (bad_input)
        *bad_input = tx->n_in;
    for (uint32_t i = 0; i < tx->n_in; i++) {
        zc_err_t rc = ZC_OK;
        if (!zc_coin_mature (&coins [i], spend_height, maturity))
            rc = ZC_ERR_IMMATURE_SPEND;
        else
        if (!zc_amount_add (&in, coins [i].amount))
            rc = ZC_ERR_BAD_AMOUNT;
        if (rc != ZC_OK) {
            if (bad_input)
                *bad_input = i;
            return rc;
        }
    }
    for (uint32_t o = 0; o < tx->n_out; o++)
        if (!zc_amount_add (&out, tx->out [o].amount))
            return ZC_ERR_BAD_AMOUNT;
    if (out > in)
        return ZC_ERR_BAD_AMOUNT;
    *fee = in - out;
    return ZC_OK;
}
