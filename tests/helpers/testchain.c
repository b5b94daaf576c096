/*  testchain.c - coins, payments and blocks for integration tests */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testchain.h"
#include "zc_key.h"
#include "zc_time.h"
#include "zc_wallet.h"
#include "zc_auth.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t
testchain_coins (testnode_t *node, const zc_params_t *params, testchain_coin_t *coins,
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
testchain_pay (const zc_params_t *params, const testchain_coin_t *coin, uint64_t fee)
{
    zc_tx_t *tx = zc_tx_new (1, 1);
    assert_non_null (tx);
    tx->in [0].prevout = coin->op;
    tx->out [0].amount = coin->coin.amount - fee;
    memcpy (tx->out [0].pubkey, zc_params_nums_key, 32);   //  a valid point nobody holds
    assert_int_equal (zc_tx_sign (tx, &coin->coin, zc_params_genesis_hash (params), &coin->key), 0);
    return tx;
}

//  The block testchain_block makes, or NULL with *reason when the node
//  does not give its tip (storage down: tests of faults expect that)
static zc_block_t *
s_block_on_tip (testnode_t *node, const zc_params_t *params, uint32_t n_outputs, zc_err_t *reason)
{
    Zc__GetTip req = ZC__GET_TIP__INIT;
    size_t size;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_TIP, &req.base, &size, reason);
    Zc__TipReply *tip = body ? zc__tip_reply__unpack (NULL, size, body) : NULL;
    if (!tip || tip->hash.len != 32) {
        if (tip)
            zc__tip_reply__free_unpacked (tip, NULL);
        if (body)
            *reason = ZC_ERR_MALFORMED;
        return NULL;
    }
    uint32_t height = tip->height + 1;
    zc_block_t *block = zc_block_new (1);
    assert_non_null (block);
    uint8_t payee [32];
    memcpy (payee, zc_params_nums_key, 32);
    uint64_t subsidy = zc_params_subsidy (params, height);
    block->tx [0] = zc_coinbase_new (height, (uint64_t) random (), subsidy, payee);
    assert_non_null (block->tx [0]);
    if (n_outputs > 1) {
        //  the same coinbase with its subsidy spread over n_outputs outputs
        zc_tx_t *wide = zc_tx_new (1, n_outputs);
        assert_non_null (wide);
        wide->version = block->tx [0]->version;
        wide->in [0] = block->tx [0]->in [0];
        for (uint32_t i = 0; i < n_outputs; i++) {
            wide->out [i].amount = subsidy / n_outputs;
            memcpy (wide->out [i].pubkey, payee, 32);
        }
        zc_tx_finalize (wide);
        zc_tx_destroy (&block->tx [0]);
        block->tx [0] = wide;
    }
    memcpy (block->header.prev.b, tip->hash.data, 32);
    block->header.version = ZC_BLOCK_VERSION;
    uint32_t now = (uint32_t) (zc_now_ms () / 1000);
    block->header.time = now > tip->median_time ? now : tip->median_time + 1;
    block->header.bits = tip->next_bits;
    zc__tip_reply__free_unpacked (tip, NULL);
    zc_block_finalize (block);
    zc_block_solve (block, params->pow_limit_bits);
    return block;
}

zc_block_t *
testchain_block (testnode_t *node, const zc_params_t *params, uint32_t n_outputs)
{
    zc_err_t reason = ZC_OK;
    zc_block_t *block = s_block_on_tip (node, params, n_outputs, &reason);
    if (!block)
        fail_msg ("no tip from the node: %s", zc_err_name (reason));
    return block;
}

zc_err_t
testchain_submit (testnode_t *node, const zc_block_t *block)
{
    size_t size;
    uint8_t *raw = zc_block_encode (block, &size);
    assert_non_null (raw);
    Zc__SubmitBlock submit = ZC__SUBMIT_BLOCK__INIT;
    submit.raw.data = raw;
    submit.raw.len = size;
    size_t reply_size;
    zc_err_t reason = ZC_OK;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__SUBMIT_BLOCK, &submit.base, &reply_size,
                                         &reason);
    free (raw);
    if (!body)
        return reason;
    Zc__SubmitBlockReply *reply = zc__submit_block_reply__unpack (NULL, reply_size, body);
    assert_non_null (reply);
    reason = (zc_err_t) reply->reason;
    zc__submit_block_reply__free_unpacked (reply, NULL);
    return reason;
}

zc_err_t
testchain_submit_tx (testnode_t *node, const uint8_t *raw, size_t size)
{
    Zc__SubmitTxs req = ZC__SUBMIT_TXS__INIT;
    ProtobufCBinaryData txs [1] = { { size, (uint8_t *) raw } };
    req.n_txs = 1;
    req.txs = txs;
    size_t reply_size;
    zc_err_t reason;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__SUBMIT_TXS, &req.base, &reply_size,
                                         &reason);
    if (!body)
        return reason;
    Zc__SubmitTxsReply *r = zc__submit_txs_reply__unpack (NULL, reply_size, body);
    assert_non_null (r);
    assert_int_equal (r->n_results, 1);
    zc_err_t rc = (zc_err_t) r->results [0]->reason;
    zc__submit_txs_reply__free_unpacked (r, NULL);
    return rc;
}

zc_tx_t *
testchain_split (const zc_params_t *params, const testchain_coin_t *coin, uint32_t n_out,
              uint64_t fee, testchain_coin_t **outputs)
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
            testchain_coin_t *c = &(*outputs) [o];
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
testchain_chain (const zc_params_t *params, const testchain_coin_t *coin, size_t n, uint64_t fee,
              zc_tx_t **txs)
{
    testchain_coin_t at = *coin;
    for (size_t i = 0; i < n; i++) {
        txs [i] = testchain_split (params, &at, 1, fee, NULL);
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
testchain_submit_txs (zc_client_t *client, zc_tx_t *const *txs, size_t n, zc_err_t *reasons,
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
testchain_ping (testnode_t *node, const char *endpoint, zc_sock_t sock, int timeout_ms)
{
    char err [256];
    zc_client_t *client = node->keys ? zc_client_new_auth (endpoint, node->keys, sock, err, sizeof err)
                                     : zc_client_new (endpoint, err, sizeof err);
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
testchain_mempool_count (testnode_t *node)
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

//  What the node says of txid: 1 pooled, 2 confirmed, 0 unknown (or no answer)
static int
s_tx_state (testnode_t *node, const zc_hash_t *txid)
{
    Zc__GetTx req = ZC__GET_TX__INIT;
    req.txid.data = (uint8_t *) txid->b;
    req.txid.len = 32;
    size_t size;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_TX, &req.base, &size, NULL);
    Zc__TxReply *r = body ? zc__tx_reply__unpack (NULL, size, body) : NULL;
    int state = r ? (r->confirmed ? 2 : 1) : 0;
    if (r)
        zc__tx_reply__free_unpacked (r, NULL);
    return state;
}

bool
testchain_in_mempool (testnode_t *node, const zc_hash_t *txid)
{
    return s_tx_state (node, txid) == 1;
}

bool
testchain_known (testnode_t *node, const zc_hash_t *txid)
{
    return s_tx_state (node, txid) != 0;
}

zc_err_t
testchain_mine (testnode_t *node, const zc_params_t *params, int timeout_ms, zc_hash_t *hash_p,
                uint32_t *height_p)
{
    zc_err_t reason = ZC_OK;
    zc_block_t *block = s_block_on_tip (node, params, 1, &reason);
    if (!block)
        return reason;
    size_t size;
    uint8_t *raw = zc_block_encode (block, &size);
    Zc__SubmitBlock submit = ZC__SUBMIT_BLOCK__INIT;
    submit.raw.data = raw;
    submit.raw.len = size;
    uint32_t type;
    const uint8_t *body;
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
        *height_p = zc_coinbase_height (block->tx [0]);
    free (raw);
    zc_block_destroy (&block);
    return rc;
}

bool
testchain_wait_confirmed (testnode_t *node, int timeout_s, const zc_hash_t *txid)
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


testchain_mined_t
testchain_mine_on (testnode_t *node, const zc_params_t *params, const uint8_t pubkey [32],
                   const zc_hash_t *prev, uint32_t height, uint32_t parent_time, zc_tx_t **txs,
                   size_t n, uint64_t fees, uint64_t extranonce)
{
    zc_block_t *block = zc_block_new ((uint32_t) n + 1);
    block->tx [0] = zc_coinbase_new (height, extranonce, zc_params_subsidy (params, height) + fees, pubkey);
    for (size_t i = 0; i < n; i++)
        block->tx [i + 1] = zc_tx_dup (txs [i]);
    block->header.prev = *prev;
    uint32_t now = (uint32_t) (zc_now_ms () / 1000);
    block->header.time = now > parent_time ? now : parent_time + 1;
    block->header.bits = params->pow_limit_bits;
    zc_block_finalize (block);
    zc_block_solve (block, params->pow_limit_bits);
    size_t size;
    uint8_t *raw = zc_block_encode (block, &size);
    Zc__SubmitBlock req = ZC__SUBMIT_BLOCK__INIT;
    req.raw.data = raw;
    req.raw.len = size;
    size_t reply_size;
    const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__SUBMIT_BLOCK, &req.base, &reply_size, NULL);
    assert_non_null (body);
    Zc__SubmitBlockReply *r = zc__submit_block_reply__unpack (NULL, reply_size, body);
    assert_non_null (r);
    if (r->reason != 0)
        fail_msg ("block at %u refused: %s", height, zc_err_name (r->reason));
    zc__submit_block_reply__free_unpacked (r, NULL);
    testchain_mined_t m = { block->hash, height, block->header.time, block->tx [0]->txid };
    free (raw);
    zc_block_destroy (&block);
    return m;
}

Zc__TemplateReply *
testchain_template_with (testnode_t *node, uint32_t max_bytes, const zc_hash_t *need)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        Zc__GetTemplate req = ZC__GET_TEMPLATE__INIT;
        req.max_bytes = max_bytes;
        size_t size;
        const uint8_t *body = testnode_call (node, ZC__MSG_TYPE__GET_TEMPLATE, &req.base, &size, NULL);
        assert_non_null (body);
        Zc__TemplateReply *t = zc__template_reply__unpack (NULL, size, body);
        assert_non_null (t);
        bool found = need == NULL;
        for (size_t i = 0; i < t->n_txs && !found; i++) {
            zc_tx_t *tx;
            assert_int_equal (zc_tx_decode (t->txs [i].data, t->txs [i].len, &tx), ZC_OK);
            found = zc_hash_eq (&tx->txid, need);
            zc_tx_destroy (&tx);
        }
        if (found)
            return t;
        zc__template_reply__free_unpacked (t, NULL);
        usleep (100000);
    }
    fail_msg ("the template never held the transaction");
    abort ();
}

testchain_mined_t
testchain_mine_template (testnode_t *node, const zc_params_t *params, const uint8_t pubkey [32],
                         uint32_t parent_time, uint64_t extranonce, const zc_hash_t *need)
{
    Zc__TemplateReply *t = testchain_template_with (node, 0, need);
    zc_tx_t **txs = calloc (t->n_txs + 1, sizeof *txs);
    for (size_t i = 0; i < t->n_txs; i++)
        assert_int_equal (zc_tx_decode (t->txs [i].data, t->txs [i].len, &txs [i]), ZC_OK);
    zc_hash_t prev;
    memcpy (prev.b, t->prev_hash.data, 32);
    testchain_mined_t m = testchain_mine_on (node, params, pubkey, &prev, t->height, parent_time, txs,
                                             t->n_txs, t->fees, extranonce);
    for (size_t i = 0; i < t->n_txs; i++)
        zc_tx_destroy (&txs [i]);
    free (txs);
    zc__template_reply__free_unpacked (t, NULL);
    return m;
}
