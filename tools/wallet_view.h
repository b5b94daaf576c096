/*  wallet_view.h - what a wallet has, as the node sees it now
 *
 *  The wallet keeps its own payments; the node says where each is now:
 *  confirmed (at a height), waiting in the mempool, or neither (dropped:
 *  replaced, or in conflict with one that confirmed). Asked afresh each
 *  time, so a payment a reorg disconnects shows as unconfirmed again.
 *  Spendable coins are the confirmed, mature coins of the wallet's keys
 *  less what its unconfirmed payments spend, plus the outputs of those
 *  payments to its own keys (its change) that none of them spends.
 */
#ifndef WALLET_VIEW_H_INCLUDED
#define WALLET_VIEW_H_INCLUDED

#include "spend.h"

typedef enum {
    VIEW_CONFIRMED = 0,
    VIEW_PENDING = 1,
    VIEW_DROPPED = 2
} view_status_t;

typedef struct {
    const zc_wallet_tx_t *wtx;          //  borrowed from the wallet
    zc_tx_t *tx;
    view_status_t status;
    uint32_t height;                    //  when confirmed
    uint32_t confirmations;
} view_tx_t;

typedef struct {
    view_tx_t *txs;                     //  the wallet's payments, oldest first
    size_t n_txs;
    spend_coins_t coins;                //  spendable, with total, immature and unconfirmed
    uint64_t reserved;                  //  confirmed coins its unconfirmed payments spend
} wallet_view_t;

//  The view of wallet from the node; exits with a reason when the node
//  does not answer.
void
    wallet_view (zc_client_t *client, const zc_wallet_t *wallet, const zc_params_t *params,
                 wallet_view_t *out);

void
    wallet_view_free (wallet_view_t *view);

//  The node's fee estimates (units per 1000 bytes) for targets, and its
//  minimum relay fee rate into *min_rate (NULL: not wanted).
void
    wallet_fee_estimates (zc_client_t *client, const uint32_t *targets, size_t n, uint64_t *out,
                          uint64_t *min_rate);

//  Where txid is now: VIEW_CONFIRMED (height and confirmations set),
//  VIEW_PENDING or VIEW_DROPPED. With prevouts (NULL: not wanted), the
//  coins it spends, n_in of them, when the node knows them: true then.
view_status_t
    wallet_tx_status (zc_client_t *client, const zc_hash_t *txid, uint32_t *height,
                      uint32_t *confirmations, zc_coin_t *prevouts, size_t n_in, bool *have_prevouts);

#endif
