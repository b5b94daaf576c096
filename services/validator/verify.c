/*  verify.c - stateless signature verification */
#include "verify.h"

verify_verdict_t
verify_tx (const uint8_t *raw, size_t size, const zc_coin_t *coins, uint32_t n_coins,
           const zc_hash_t *genesis, zc_keycache_t *keys)
{
    verify_verdict_t v = { ZC_OK, 0 };
    zc_tx_t *tx = NULL;
    if ((v.reason = zc_tx_decode (raw, size, &tx)) != ZC_OK)
        return v;
    if (n_coins != tx->n_in || tx->n_in == 0 || zc_tx_is_coinbase (tx))
        v.reason = ZC_ERR_BAD_REQUEST;
    else {
        zc_sighash_t sighash;
        zc_sighash_init (&sighash, tx, coins, genesis);
        for (uint32_t i = 0; i < tx->n_in; i++) {
            uint8_t msg [32];
            zc_sighash_input (&sighash, i, msg);
            if (!zc_keycache_verify (keys, coins [i].pubkey, msg, sizeof msg, tx->in [i].sig)) {
                v.reason = ZC_ERR_BAD_SIG;
                v.input = i;
                break;
            }
        }
    }
    zc_tx_destroy (&tx);
    return v;
}
