/*  testtx.h - hand-made transactions for node tests: a wallet's mature
 *  coins, chains and fans signed with its key, batched submission, a ping
 */
#ifndef TESTTX_H_INCLUDED
#define TESTTX_H_INCLUDED

#include "testnode.h"
#include "zc_key.h"
#include "zc_params.h"
#include "zc_tx.h"

#include <stdbool.h>
#include <stddef.h>

//  A coin with the key that spends it
typedef struct {
    zc_outpoint_t op;
    zc_coin_t coin;
    zc_seckey_t key;
} testtx_coin_t;

//  Up to want coinbase coins of the node's wallet (DIR/wallet.key) that
//  are mature; returns how many were found.
size_t
    testtx_wallet_coins (testnode_t *node, const zc_params_t *params, testtx_coin_t *coins,
                         size_t want);

//  A signed transaction spending coin into n_out equal outputs to the same
//  key, paying fee; the caller's. *outputs (when not NULL) gets a coin for
//  each output (caller frees).
zc_tx_t *
    testtx_split (const zc_params_t *params, const testtx_coin_t *coin, uint32_t n_out,
                  uint64_t fee, testtx_coin_t **outputs);

//  A chain of n signed transactions: txs [0] spends coin, txs [i] spends
//  output 0 of txs [i - 1], each paying fee; the caller frees each.
void
    testtx_chain (const zc_params_t *params, const testtx_coin_t *coin, size_t n, uint64_t fee,
                  zc_tx_t **txs);

//  Submit txs in one SUBMIT_TXS on client (the gateway's api, or the
//  mempool's); each one's reason into reasons. ZC_OK, or why the whole
//  request failed (timeout, an error reply).
zc_err_t
    testtx_submit (zc_client_t *client, zc_tx_t *const *txs, size_t n, zc_err_t *reasons,
                   int timeout_ms);

//  Did endpoint answer a PING with a PONG within timeout_ms?
bool
    testtx_ping (const char *endpoint, int timeout_ms);

//  Transactions in the node's mempool, -1 when it does not answer.
int64_t
    testtx_mempool_count (testnode_t *node);

//  Is txid in the node's mempool (not confirmed)?
bool
    testtx_in_mempool (testnode_t *node, const zc_hash_t *txid);

//  Mine a block with only a coinbase on the node's tip (by hand, as a
//  miner would) and submit it through the gateway, waiting up to
//  timeout_ms: the reason (or why the request failed); its hash into
//  hash_p and its height into *height_p when not NULL.
zc_err_t
    testtx_mine_block (testnode_t *node, const zc_params_t *params, uint64_t extranonce,
                       int timeout_ms, zc_hash_t *hash_p, uint32_t *height_p);

//  Wait up to timeout_s until txid is confirmed; false if it was not.
bool
    testtx_wait_confirmed (testnode_t *node, int timeout_s, const zc_hash_t *txid);

//  A metric's value on the node's sidecar: the first series of name whose
//  line holds label (e.g. "reason=\"too_long_chain\"", or NULL); -1 when
//  absent.
double
    testtx_metric (testnode_t *node, const char *name, const char *label);

#endif
