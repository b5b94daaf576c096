/*  verify.c - stateless transaction verification */
#include "verify.h"
#include "zc_amount.h"
#include "zc_check.h"

verify_verdict_t
verify_tx (const zc_tx_t *tx, const zc_coin_t *coins, uint32_t n_coins, uint32_t height,
           uint32_t maturity, const zc_hash_t *genesis)
{
    verify_verdict_t v = { ZC_OK, 0, 0 };
    if ((v.reason = zc_check_loose_tx (tx)) != ZC_OK)
        return v;
    if (n_coins != tx->n_in) {
        v.reason = ZC_ERR_BAD_REQUEST;
        return v;
    }
    uint64_t in = 0, out = 0;
    for (uint32_t i = 0; i < tx->n_in; i++) {
        if (!zc_coin_mature (&coins [i], height, maturity)) {
            v.reason = ZC_ERR_IMMATURE_SPEND;
            v.input = i;
            return v;
        }
        if (!zc_amount_add (&in, coins [i].amount)) {
            v.reason = ZC_ERR_BAD_AMOUNT;
            v.input = i;
            return v;
        }
    }
    for (uint32_t o = 0; o < tx->n_out; o++)
        if (!zc_amount_add (&out, tx->out [o].amount)) {
            v.reason = ZC_ERR_BAD_AMOUNT;
            return v;
        }
    if (out > in) {
        v.reason = ZC_ERR_BAD_AMOUNT;
        return v;
    }
    v.fee = in - out;
    zc_sighash_t sighash;
    zc_sighash_init (&sighash, tx, coins, genesis);
    for (uint32_t i = 0; i < tx->n_in; i++) {
        uint8_t msg [32];
        zc_sighash_input (&sighash, i, msg);
        if (!zc_verify (coins [i].pubkey, msg, tx->in [i].sig)) {
            v.reason = ZC_ERR_BAD_SIG;
            v.input = i;
            return v;
        }
    }
    return v;
}
