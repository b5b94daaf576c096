/*  spend.h - the wallet side of spending: coins, a payment, its signature
 *
 *  Shared by zchain send and zchain bench: gather the wallet's spendable
 *  outputs from the node, choose inputs, build a transaction paying some
 *  outputs plus change, sign it.
 */
#ifndef SPEND_H_INCLUDED
#define SPEND_H_INCLUDED

#include "cli.h"
#include "zc_tx.h"
#include "zc_wallet.h"
#include "zc_zmq.h"

typedef struct {
    zc_outpoint_t outpoint;
    zc_coin_t coin;
} spend_coin_t;

typedef struct {
    spend_coin_t *coins;
    size_t n;
    uint64_t total;                     //  spendable
    uint64_t balance;                   //  every confirmed coin, immature ones too
    uint64_t utxo_count;                //  of those
    uint64_t immature;
    uint64_t unconfirmed;               //  of total: outputs of the wallet's own unconfirmed payments
    uint32_t height;                    //  the tip the answer is for
} spend_coins_t;

//  The spendable coins of every key in wallet (mature, confirmed).
//  Exits with a reason when the node does not answer.
void
    spend_coins (zc_client_t *client, const zc_wallet_t *wallet, const zc_params_t *params,
                 spend_coins_t *out);

void
    spend_coins_free (spend_coins_t *coins);

//  Order the coins spend_build takes from: largest first (few inputs), or
//  random (two payments in one block interval rarely pick the same coin)
void
    spend_order_largest (spend_coins_t *coins);
void
    spend_order_random (spend_coins_t *coins);

//  Size of a transaction with n_in inputs and n_out outputs
size_t
    spend_tx_size (size_t n_in, size_t n_out);

//  The fee of bytes at rate units per 1000 bytes, rounded up (what the
//  mempool's minimum asks)
uint64_t
    spend_fee (uint64_t rate, size_t bytes);

//  Pay amounts [i] to pubkeys [i] from coins, with change
//  to change_key, at fee_rate units per 1000 bytes, taking coins in their
//  order; change under the default dust threshold is left to the fee. A
//  signed transaction, or NULL with a reason in err (not enough funds, an
//  amount that is dust). Used coins are removed
//  from coins so the next payment does not spend them again.
zc_tx_t *
    spend_build (spend_coins_t *coins, const zc_wallet_t *wallet, const zc_params_t *params,
                 const uint8_t (*pubkeys) [32], const uint64_t *amounts, size_t n_pay,
                 const uint8_t change_key [32], uint64_t fee_rate, char *err, size_t err_size);

//  A signed payment spending inputs [0..n_in) (each a coin of wallet) to
//  outputs [0..n_out) in that order. NULL and a reason in err.
zc_tx_t *
    spend_sign (const spend_coin_t *inputs, size_t n_in, const zc_txout_t *outputs, size_t n_out,
                const zc_wallet_t *wallet, const zc_params_t *params, char *err, size_t err_size);

//  Submit one transaction: ZC_OK and its txid, or the reason (detail
//  into *detail_p when known).
zc_err_t
    spend_submit (zc_client_t *client, const zc_tx_t *tx, const char **detail_p);

#endif
