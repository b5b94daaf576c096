/*  testchain.h - coins, transactions and blocks for integration tests: the
 *  spendable coins of a test node's wallet, payments, chains and fans
 *  signed with its key, solved blocks on the node's tip, submissions, and
 *  what the node's mempool holds
 */
#ifndef TESTCHAIN_H_INCLUDED
#define TESTCHAIN_H_INCLUDED

#include "testnode.h"
#include "zc_block.h"
#include "zc_key.h"
#include "zc_params.h"
#include "zc_tx.h"
#include "zc_utxo.h"
#include "mempool.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

//  A coin of the node's wallet, with its key, for hand-made transactions
typedef struct {
    zc_outpoint_t op;
    zc_coin_t coin;
    zc_seckey_t key;
} testchain_coin_t;

//  Up to want mature coins of the node's wallet (its first key, with two
//  blocks of margin: the next block may come before the submission);
//  returns how many were found.
size_t
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

//  A signed transaction spending coin into n_out equal outputs to the same
//  key, paying fee; the caller's. *outputs (when not NULL) gets a coin for
//  each output (caller frees).
zc_tx_t *
    testchain_split (const zc_params_t *params, const testchain_coin_t *coin, uint32_t n_out,
                  uint64_t fee, testchain_coin_t **outputs);

//  A chain of n signed transactions: txs [0] spends coin, txs [i] spends
//  output 0 of txs [i - 1], each paying fee; the caller frees each.
void
    testchain_chain (const zc_params_t *params, const testchain_coin_t *coin, size_t n, uint64_t fee,
                  zc_tx_t **txs);

//  Submit txs in one SUBMIT_TXS on client (the gateway's api, or the
//  mempool's); each one's reason into reasons. ZC_OK, or why the whole
//  request failed (timeout, an error reply).
zc_err_t
    testchain_submit_txs (zc_client_t *client, zc_tx_t *const *txs, size_t n, zc_err_t *reasons,
                   int timeout_ms);

//  Did the node's service at endpoint (its api sock) answer a PING with a
//  PONG within timeout_ms? Asked with the node's operator keys.
bool
    testchain_ping (testnode_t *node, const char *endpoint, zc_sock_t sock, int timeout_ms);

//  Transactions in the node's mempool, -1 when it does not answer.
int64_t
    testchain_mempool_count (testnode_t *node);

//  Is txid in the node's mempool (not confirmed)?
bool
    testchain_in_mempool (testnode_t *node, const zc_hash_t *txid);

//  Does the node know txid at all, in its mempool or in a block?
bool
    testchain_known (testnode_t *node, const zc_hash_t *txid);

//  Mine a block with only a coinbase on the node's tip (by hand, as a
//  miner would) and submit it through the gateway, waiting up to
//  timeout_ms: the reason (or why the request failed); its hash into
//  hash_p and its height into *height_p when not NULL.
zc_err_t
    testchain_mine (testnode_t *node, const zc_params_t *params, int timeout_ms, zc_hash_t *hash_p,
                    uint32_t *height_p);

//  Wait up to timeout_s until txid is confirmed; false if it was not.
bool
    testchain_wait_confirmed (testnode_t *node, int timeout_s, const zc_hash_t *txid);

//  A block mined by hand: where it is, and its coinbase
typedef struct {
    zc_hash_t hash;
    uint32_t height;
    uint32_t time;
    zc_hash_t coinbase_txid;
} testchain_mined_t;

//  Mine a block on prev (at height; its parent's time given) holding txs
//  (their fees given) with a coinbase to pubkey, and submit it through the
//  gateway; fails the test when it is refused.
testchain_mined_t
    testchain_mine_on (testnode_t *node, const zc_params_t *params, const uint8_t pubkey [32],
                       const zc_hash_t *prev, uint32_t height, uint32_t parent_time, zc_tx_t **txs,
                       size_t n, uint64_t fees, uint64_t extranonce);

//  The mempool's block template once it holds the transaction need (NULL:
//  the first one): the mempool builds it again at most a few times a
//  second, so a request just after the transaction arrived may get the
//  copy from before. max_bytes 0: the consensus maximum. Fails the test
//  when it never does; the caller frees the reply.
Zc__TemplateReply *
    testchain_template_with (testnode_t *node, uint32_t max_bytes, const zc_hash_t *need);

//  Mine the mempool's template once it holds need, coinbase to pubkey
testchain_mined_t
    testchain_mine_template (testnode_t *node, const zc_params_t *params, const uint8_t pubkey [32],
                             uint32_t parent_time, uint64_t extranonce, const zc_hash_t *need);

#endif
