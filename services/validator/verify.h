/*  verify.h - a validator's one job: (transaction bytes, spent coins) -> verdict
 *
 *  Signatures only. A validator holds no chain state, so it checks what
 *  needs none and costs the CPU: every input's BIP340 signature against
 *  the coin it spends (docs/protocol.md, Signatures). The rules that need
 *  the state run once, where the state is: the mempool's admission (form,
 *  policy, maturity, amounts, fee rate) before it asks for signatures, and
 *  storage's connect (zc_check_block for the form, zc_utxo_connect for
 *  unknown inputs, double spends, maturity, amounts and the coinbase's
 *  value) before it does. So a job whose coins are immature, or whose
 *  outputs exceed its inputs, still verifies here if its signatures do.
 *
 *  The signature hash commits to every spent coin's amount and key
 *  (zc_sighash_init), so a coin given wrong here fails as bad_sig: an
 *  owner cannot have a signature accepted for coins it did not sign.
 *
 *  A job's bytes are untrusted, so they are decoded (zc_tx_decode: bounded,
 *  every length checked) before anything is hashed, and a job that does
 *  not decode is rejected with the decoder's reason.
 */
#ifndef VALIDATOR_VERIFY_H_INCLUDED
#define VALIDATOR_VERIFY_H_INCLUDED

#include "zc_err.h"
#include "zc_hash.h"
#include "zc_keycache.h"
#include "zc_tx.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    zc_err_t reason;
    uint32_t input;                     //  the failing input, for bad_sig
} verify_verdict_t;

//  Verify the signatures of the transaction encoded in raw (size bytes),
//  spending coins (n_coins of them, one per input, in input order), on the
//  network whose genesis hash is given, lifting each spending key through
//  keys (NULL: no cache; a cached point answers as the key's lift would,
//  so the verdict is the same either way). reason is
//  - ZC_OK: every input's signature verifies against its coin;
//  - ZC_ERR_MALFORMED or ZC_ERR_OVERSIZE: the bytes do not decode;
//  - ZC_ERR_BAD_REQUEST: n_coins is not the number of inputs, or there is
//    no signature to verify (a coinbase's shape, or no inputs): owners
//    never send either, and ok would claim a check that was not made;
//  - ZC_ERR_BAD_SIG: the first input (input) whose signature fails;
//  - ZC_ERR_INTERNAL: out of memory.
//  Nothing is kept but the keys' points: raw and coins are borrowed for
//  the call.
verify_verdict_t
    verify_tx (const uint8_t *raw, size_t size, const zc_coin_t *coins, uint32_t n_coins,
               const zc_hash_t *genesis, zc_keycache_t *keys);

#endif
