/*  verify.h - a validator's one job: (transaction, spent coins) -> verdict
 *
 *  Stateless: everything needed travels with the job. Checks the form
 *  (zc_check_tx), maturity of spent coinbases, amounts (inputs cover
 *  outputs, no overflow) and every BIP340 signature.
 */
#ifndef VALIDATOR_VERIFY_H_INCLUDED
#define VALIDATOR_VERIFY_H_INCLUDED

#include "zc_err.h"
#include "zc_hash.h"
#include "zc_tx.h"

#include <stdint.h>

typedef struct {
    zc_err_t reason;
    uint64_t fee;
    uint32_t input;                     //  the failing input, for bad_sig and friends
} verify_verdict_t;

//  Verify one transaction spending coins (one per input) in a block at
//  height on the network whose genesis is given.
verify_verdict_t
    verify_tx (const zc_tx_t *tx, const zc_coin_t *coins, uint32_t n_coins, uint32_t height,
               uint32_t maturity, const zc_hash_t *genesis);

#endif
