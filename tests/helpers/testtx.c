/*  testtx.c - hand-made transactions for node tests */
#include "testtx.h"
#include "zc_block.h"
#include "zc_time.h"
#include "zc_wallet.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t
testtx_wallet_coins (testnode_t *node, const zc_params_t *params, testtx_coin_t *coins,
                     size_t want)
{
    char path [256], err [256];
    snprintf (path, sizeof path, "%s/wallet.key", node->dir);
    zc_wallet_t *wallet = zc_wallet_load (path, err, sizeof err);
    if (!wallet)
        return 0;
    Zc__GetAddress req = ZC__GET_ADDRESS__INIT;
    req.pubkey.data = (uint8_t *) zc_wallet_pubkey (wallet, 0);
    req.pubkey.len = 32;
    req.max_utxos = 1000;
    size_t size;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_ADDRESS, &req.base, &size, NULL);
    Zc__AddressReply *r = body ? zc__address_reply__unpack (NULL, size, body) : NULL;
    size_t n = 0;
    for (size_t i = 0; r && i < r->n_utxos && n < want; i++) {
        const Zc__AddressUtxo *u = r->utxos [i];
        //  two blocks of margin: the next block may come before the submission
        if (u->coin->coinbase && r->height + 1 - u->coin->height < params->coinbase_maturity + 2)
            continue;
        const zc_seckey_t *key = zc_wallet_seckey_for (wallet, u->coin->pubkey.data);
        if (!key)
            continue;
        memcpy (coins [n].op.txid.b, u->outpoint->txid.data, 32);
        coins [n].op.index = u->outpoint->index;
        memset (&coins [n].coin, 0, sizeof coins [n].coin);
        coins [n].coin.amount = u->coin->amount;
        memcpy (coins [n].coin.pubkey, u->coin->pubkey.data, 32);
        coins [n].coin.height = u->coin->height;
        coins [n].coin.coinbase = u->coin->coinbase;
        coins [n].key = *key;
        n++;
    }
    if (r)
        zc__address_reply__free_unpacked (r, NULL);
    zc_wallet_destroy (&wallet);
    return n;
}

zc_tx_t *
testtx_split (const zc_params_t *params, const testtx_coin_t *coin, uint32_t n_out,
              uint64_t fee, testtx_coin_t **outputs)
{
    zc_tx_t *tx = zc_tx_new (1, n_out);
    tx->in [0].prevout = coin->op;
    uint64_t each = (coin->coin.amount - fee) / n_out;
    for (uint32_t o = 0; o < n_out; o++) {
        tx->out [o].amount = each;
        memcpy (tx->out [o].pubkey, coin->coin.pubkey, 32);
    }
    if (zc_tx_sign (tx, &coin->coin, zc_params_genesis_hash (params), &coin->key)) {
        zc_tx_destroy (&tx);
        return NULL;
    }
    if (outputs) {
        *outputs = calloc (n_out, sizeof **outputs);
        for (uint32_t o = 0; *outputs && o < n_out; o++) {
            testtx_coin_t *c = &(*outputs) [o];
            c->op.txid = tx->txid;
            c->op.index = o;
            c->coin.amount = each;
            memcpy (c->coin.pubkey, coin->coin.pubkey, 32);
            c->coin.height = UINT32_MAX;
            c->key = coin->key;
        }
    }
    return tx;
}

void
testtx_chain (const zc_params_t *params, const testtx_coin_t *coin, size_t n, uint64_t fee,
              zc_tx_t **txs)
{
    testtx_coin_t at = *coin;
    for (size_t i = 0; i < n; i++) {
        txs [i] = testtx_split (params, &at, 1, fee, NULL);
        if (!txs [i])
            return;
        at.op.txid = txs [i]->txid;
        at.op.index = 0;
        at.coin.amount = txs [i]->out [0].amount;
        at.coin.height = UINT32_MAX;
        at.coin.coinbase = false;
    }
}

zc_err_t
testtx_submit (zc_client_t *client, zc_tx_t *const *txs, size_t n, zc_err_t *reasons,
               int timeout_ms)
{
    ProtobufCBinaryData *raw = calloc (n ? n : 1, sizeof *raw);
    for (size_t i = 0; raw && i < n; i++)
        raw [i].data = zc_tx_encode (txs [i], &raw [i].len);
    Zc__SubmitTxs req = ZC__SUBMIT_TXS__INIT;
    req.n_txs = n;
    req.txs = raw;
    uint32_t type;
    const uint8_t *body;
    size_t size;
    zc_err_t rc = raw ? zc_client_call (client, ZC__MSG_TYPE__SUBMIT_TXS, &req.base, timeout_ms,
                                        &type, &body, &size, NULL)
                      : ZC_ERR_INTERNAL;
    Zc__SubmitTxsReply *r = rc == ZC_OK && type == ZC__MSG_TYPE__SUBMIT_TXS_REPLY
                          ? zc__submit_txs_reply__unpack (NULL, size, body) : NULL;
    if (rc == ZC_OK && (!r || r->n_results != n))
        rc = ZC_ERR_MALFORMED;
    for (size_t i = 0; rc == ZC_OK && i < n; i++)
        reasons [i] = (zc_err_t) r->results [i]->reason;
    if (r)
        zc__submit_txs_reply__free_unpacked (r, NULL);
    for (size_t i = 0; raw && i < n; i++)
        free (raw [i].data);
    free (raw);
    return rc;
}

bool
testtx_ping (const char *endpoint, int timeout_ms)
{
    char err [256];
    zc_client_t *client = zc_client_new (endpoint, err, sizeof err);
    if (!client)
        return false;
    uint32_t type = 0;
    const uint8_t *body;
    size_t size;
    bool pong = zc_client_call (client, ZC__MSG_TYPE__PING, NULL, timeout_ms, &type, &body, &size,
                                NULL) == ZC_OK && type == ZC__MSG_TYPE__PONG;
    zc_client_destroy (&client);
    return pong;
}

int64_t
testtx_mempool_count (testnode_t *node)
{
    Zc__GetMempool req = ZC__GET_MEMPOOL__INIT;
    size_t size;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_MEMPOOL, &req.base, &size, NULL);
    Zc__MempoolReply *r = body ? zc__mempool_reply__unpack (NULL, size, body) : NULL;
    int64_t count = r ? (int64_t) r->count : -1;
    if (r)
        zc__mempool_reply__free_unpacked (r, NULL);
    return count;
}

bool
testtx_in_mempool (testnode_t *node, const zc_hash_t *txid)
{
    Zc__GetTx req = ZC__GET_TX__INIT;
    req.txid.data = (uint8_t *) txid->b;
    req.txid.len = 32;
    size_t size;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_TX, &req.base, &size, NULL);
    Zc__TxReply *r = body ? zc__tx_reply__unpack (NULL, size, body) : NULL;
    bool pooled = r && !r->confirmed;
    if (r)
        zc__tx_reply__free_unpacked (r, NULL);
    return pooled;
}

zc_err_t
testtx_mine_block (testnode_t *node, const zc_params_t *params, uint64_t extranonce,
                   int timeout_ms, zc_hash_t *hash_p, uint32_t *height_p)
{
    Zc__GetTip req = ZC__GET_TIP__INIT;
    size_t size;
    zc_err_t reason;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_TIP, &req.base, &size, &reason);
    Zc__TipReply *tip = body ? zc__tip_reply__unpack (NULL, size, body) : NULL;
    zc_header_t parent;
    if (!tip || tip->hash.len != 32
    ||  zc_header_decode (tip->header.data, tip->header.len, &parent) != ZC_OK) {
        if (tip)
            zc__tip_reply__free_unpacked (tip, NULL);
        return body ? ZC_ERR_MALFORMED : reason;
    }
    uint32_t height = tip->height + 1;
    zc_block_t *block = zc_block_new (1);
    uint8_t pubkey [32];
    memcpy (pubkey, zc_params_nums_key, 32);
    block->tx [0] = zc_coinbase_new (height, extranonce, zc_params_subsidy (params, height), pubkey);
    memcpy (block->header.prev.b, tip->hash.data, 32);
    uint32_t now = (uint32_t) (zc_now_ms () / 1000);
    block->header.time = now > parent.time ? now : parent.time + 1;
    block->header.bits = tip->next_bits ? tip->next_bits : params->pow_limit_bits;
    zc__tip_reply__free_unpacked (tip, NULL);
    zc_block_finalize (block);
    zc_block_solve (block, params->pow_limit_bits);
    uint8_t *raw = zc_block_encode (block, &size);
    Zc__SubmitBlock submit = ZC__SUBMIT_BLOCK__INIT;
    submit.raw.data = raw;
    submit.raw.len = size;
    uint32_t type;
    zc_err_t rc = zc_client_call (node->client, ZC__MSG_TYPE__SUBMIT_BLOCK, &submit.base, timeout_ms,
                                  &type, &body, &size, NULL);
    Zc__SubmitBlockReply *r = rc == ZC_OK && type == ZC__MSG_TYPE__SUBMIT_BLOCK_REPLY
                            ? zc__submit_block_reply__unpack (NULL, size, body) : NULL;
    if (rc == ZC_OK)
        rc = r ? (zc_err_t) r->reason : ZC_ERR_MALFORMED;
    if (r)
        zc__submit_block_reply__free_unpacked (r, NULL);
    if (hash_p)
        *hash_p = block->hash;
    if (height_p)
        *height_p = height;
    free (raw);
    zc_block_destroy (&block);
    return rc;
}

bool
testtx_wait_confirmed (testnode_t *node, int timeout_s, const zc_hash_t *txid)
{
    int64_t deadline = zc_mono_ms () + (int64_t) timeout_s * 1000;
    while (zc_mono_ms () < deadline) {
        Zc__GetTx req = ZC__GET_TX__INIT;
        req.txid.data = (uint8_t *) txid->b;
        req.txid.len = 32;
        size_t size;
        const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_TX, &req.base, &size, NULL);
        Zc__TxReply *r = body ? zc__tx_reply__unpack (NULL, size, body) : NULL;
        bool confirmed = r && r->confirmed;
        if (r)
            zc__tx_reply__free_unpacked (r, NULL);
        if (confirmed)
            return true;
        usleep (100000);
    }
    return false;
}

double
testtx_metric (testnode_t *node, const char *name, const char *label)
{
    char *text = malloc (1 << 21);
    double value = -1;
    size_t len = strlen (name);
    if (text && testnode_http (node, node->metrics_port, "GET", "/metrics", NULL, text, 1 << 21) == 200)
        for (char *line = text; line && *line; ) {
            char *end = strchr (line, '\n');
            if (end)
                *end = 0;
            if (!strncmp (line, name, len) && (line [len] == ' ' || line [len] == '{')
            &&  (!label || strstr (line, label))) {
                const char *space = strrchr (line, ' ');
                value = space ? atof (space + 1) : -1;
                break;
            }
            line = end ? end + 1 : NULL;
        }
    free (text);
    return value;
}
