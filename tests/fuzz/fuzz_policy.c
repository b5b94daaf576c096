/*  fuzz_policy.c - libFuzzer: the relay policy on any transaction and rate
 *
 *  The first 8 bytes are the dust fee rate, the rest a transaction. The
 *  verdict must be the rule itself: ZC_OK exactly when every output is at
 *  least the threshold and its key is a point, dust before bad_pubkey;
 *  and the same verdict through a key cache that lives across inputs, as
 *  the mempool's does.
 */
#include "zc_check.h"
#include "zc_key.h"
#include "zc_tx.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint64_t rate = zc_le64 (data);
    zc_tx_t *tx;
    if (zc_tx_decode (data + 8, size - 8, &tx) != ZC_OK)
        return 0;
    uint64_t dust = zc_dust_threshold (rate);
    if (dust == 0)
        abort ();
    bool any_dust = false, any_bad_key = false;
    for (uint32_t o = 0; o < tx->n_out; o++) {
        any_dust |= tx->out [o].amount < dust;
        any_bad_key |= !zc_pubkey_is_valid (tx->out [o].pubkey);
    }
    zc_err_t expect = any_dust ? ZC_ERR_DUST : any_bad_key ? ZC_ERR_BAD_PUBKEY : ZC_OK;
    static zc_keycache_t *cache;
    if (!cache && !(cache = zc_keycache_new (64)))
        abort ();
    if (zc_check_standard_tx (tx, rate, NULL) != expect
    ||  zc_check_standard_tx (tx, rate, cache) != expect
    ||  zc_check_standard_tx (tx, rate, cache) != expect)
        abort ();
    zc_tx_destroy (&tx);
    return 0;
}
