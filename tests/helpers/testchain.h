/*  testchain.h - coins, payments and blocks for integration tests: the
 *  spendable coins of a test node's wallet, a signed payment of one, a
 *  solved block on the node's tip
 */
#ifndef TESTCHAIN_H_INCLUDED
#define TESTCHAIN_H_INCLUDED

#include "testnode.h"
#include "zc_block.h"
#include "zc_key.h"
#include "zc_params.h"
#include "zc_tx.h"
#include "zc_utxo.h"

//  A coin of the node's wallet, with its key, for hand-made transactions
typedef struct {
    zc_outpoint_t op;
    zc_coin_t coin;
    zc_seckey_t key;
} testchain_coin_t;

//  Fill coins with want mature coins of the node's wallet (first key);
//  fails the test when there are not that many.
void
    testchain_coins (testnode_t *node, const zc_params_t *params, testchain_coin_t *coins,
                     size_t want);

//  A signed transaction spending coin, paying its amount less fee to a
//  valid key nobody holds; the caller's to destroy.
zc_tx_t *
    testchain_pay (const zc_params_t *params, const testchain_coin_t *coin, uint64_t fee);

//  A solved block on the node's current tip with a coinbase paying the
//  subsidy over n_outputs outputs (1 or more: larger blocks for tests that
//  need bytes); the caller's to destroy.
zc_block_t *
    testchain_block (testnode_t *node, const zc_params_t *params, uint32_t n_outputs);

//  Submit one encoded transaction through the node's client api: its
//  reason (ZC_OK when accepted; the api's reason when there was no answer).
zc_err_t
    testchain_submit_tx (testnode_t *node, const uint8_t *raw, size_t size);

//  Submit block to the node through its client api: storage's verdict
//  (ZC_OK when taken; the client api's reason when there was no answer).
zc_err_t
    testchain_submit (testnode_t *node, const zc_block_t *block);

#endif
