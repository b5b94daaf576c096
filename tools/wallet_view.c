/*  wallet_view.c - the wallet's payments and coins, from the node */
#include "wallet_view.h"
#include "node.h"
#include "zc_fee.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>

view_status_t
wallet_tx_status (zc_client_t *client, const zc_hash_t *txid, uint32_t *height,
                  uint32_t *confirmations, zc_coin_t *prevouts, size_t n_in, bool *have_prevouts)
{
    Zc__GetTx req = ZC__GET_TX__INIT;
    req.txid.data = (uint8_t *) txid->b;
    req.txid.len = 32;
    req.with_prevouts = prevouts != NULL;
    uint32_t type;
    const uint8_t *body;
    size_t size;
    const char *detail = NULL;
    zc_err_t rc = zc_client_call (client, ZC__MSG_TYPE__GET_TX, &req.base, 30000, &type, &body, &size,
                                  &detail);
    if (rc == ZC_ERR_NOT_FOUND)
        return VIEW_DROPPED;
    if (rc != ZC_OK)
        cli_die (CLI_EXIT_FAIL, "the node did not answer: %s%s%s", zc_err_name (rc),
                 detail ? ": " : "", detail ? detail : "");
    Zc__TxReply *r = zc__tx_reply__unpack (NULL, size, body);
    if (!r)
        cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
    view_status_t status = r->confirmed ? VIEW_CONFIRMED : VIEW_PENDING;
    *height = r->height;
    *confirmations = r->confirmations;
    if (have_prevouts)
        *have_prevouts = false;
    if (prevouts && r->n_prevouts == n_in) {
        bool ok = true;
        for (size_t i = 0; i < n_in && ok; i++) {
            const Zc__Coin *c = r->prevouts [i];
            ok = c && c->pubkey.len == 32;
            if (ok) {
                prevouts [i].amount = c->amount;
                memcpy (prevouts [i].pubkey, c->pubkey.data, 32);
                prevouts [i].height = c->height;
                prevouts [i].coinbase = c->coinbase;
            }
        }
        if (have_prevouts)
            *have_prevouts = ok;
    }
    zc__tx_reply__free_unpacked (r, NULL);
    return status;
}

//  Does an unconfirmed payment of the view spend outpoint
static bool
s_spent_by_pending (const wallet_view_t *view, const zc_outpoint_t *op)
{
    for (size_t t = 0; t < view->n_txs; t++) {
        if (view->txs [t].status != VIEW_PENDING)
            continue;
        const zc_tx_t *tx = view->txs [t].tx;
        for (uint32_t i = 0; i < tx->n_in; i++)
            if (tx->in [i].prevout.index == op->index && zc_hash_eq (&tx->in [i].prevout.txid, &op->txid))
                return true;
    }
    return false;
}

void
wallet_view (zc_client_t *client, const zc_wallet_t *wallet, const zc_params_t *params,
             wallet_view_t *out)
{
    memset (out, 0, sizeof *out);
    size_t n = zc_wallet_tx_count (wallet);
    out->txs = calloc (n ? n : 1, sizeof *out->txs);
    if (!out->txs)
        cli_die (CLI_EXIT_FAIL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const zc_wallet_tx_t *wtx = zc_wallet_tx (wallet, i);
        view_tx_t *v = &out->txs [out->n_txs];
        if (zc_tx_decode (wtx->raw, wtx->size, &v->tx) != ZC_OK)
            continue;                   //  not one the wallet could have made
        v->wtx = wtx;
        v->status = wallet_tx_status (client, &wtx->txid, &v->height, &v->confirmations, NULL, 0, NULL);
        out->n_txs++;
    }
    //  the confirmed coins, less what the unconfirmed payments spend
    spend_coins (client, wallet, params, &out->coins);
    spend_coins_t *c = &out->coins;
    size_t kept = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (s_spent_by_pending (out, &c->coins [i].outpoint)) {
            out->reserved += c->coins [i].coin.amount;
            c->total -= c->coins [i].coin.amount;
            continue;
        }
        c->coins [kept++] = c->coins [i];
    }
    c->n = kept;
    //  and the outputs of those payments to the wallet's own keys
    for (size_t t = 0; t < out->n_txs; t++) {
        const view_tx_t *v = &out->txs [t];
        if (v->status != VIEW_PENDING)
            continue;
        for (uint32_t o = 0; o < v->tx->n_out; o++) {
            zc_outpoint_t op = { v->tx->txid, o };
            if (zc_wallet_find (wallet, v->tx->out [o].pubkey) < 0 || s_spent_by_pending (out, &op))
                continue;
            spend_coin_t *grown = realloc (c->coins, (c->n + 1) * sizeof *grown);
            if (!grown)
                cli_die (CLI_EXIT_FAIL, "out of memory");
            c->coins = grown;
            spend_coin_t *coin = &c->coins [c->n++];
            coin->outpoint = op;
            memset (&coin->coin, 0, sizeof coin->coin);
            coin->coin.amount = v->tx->out [o].amount;
            memcpy (coin->coin.pubkey, v->tx->out [o].pubkey, 32);
            coin->coin.height = UINT32_MAX;
            c->total += coin->coin.amount;
            c->unconfirmed += coin->coin.amount;
        }
    }
}

void
wallet_view_free (wallet_view_t *view)
{
    for (size_t i = 0; i < view->n_txs; i++)
        zc_tx_destroy (&view->txs [i].tx);
    free (view->txs);
    spend_coins_free (&view->coins);
    memset (view, 0, sizeof *view);
}

void
wallet_fee_estimates (zc_client_t *client, const uint32_t *targets, size_t n, uint64_t *out,
                      uint64_t *min_rate)
{
    Zc__GetMempool mreq = ZC__GET_MEMPOOL__INIT;
    mreq.with_fees = true;
    size_t size;
    const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_MEMPOOL, &mreq.base,
                                     ZC__MSG_TYPE__MEMPOOL_REPLY, &size);
    Zc__MempoolReply *m = zc__mempool_reply__unpack (NULL, size, body);
    if (!m)
        cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
    Zc__GetBlocks breq = ZC__GET_BLOCKS__INIT;
    breq.from_tip = true;
    breq.max = 12;
    body = node_call (client, ZC__MSG_TYPE__GET_BLOCKS, &breq.base, ZC__MSG_TYPE__BLOCKS_REPLY, &size);
    Zc__BlocksReply *b = zc__blocks_reply__unpack (NULL, size, body);
    if (!b)
        cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
    zc_fee_estimate_from (m, b, targets, n, out);
    if (min_rate)
        *min_rate = m->min_fee_rate;
    zc__mempool_reply__free_unpacked (m, NULL);
    zc__blocks_reply__free_unpacked (b, NULL);
}
