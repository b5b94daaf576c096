/*  spend.c - choosing coins, building and signing payments */
#include "spend.h"
#include "node.h"
#include "zc_amount.h"
#include "zc_check.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void
spend_coins (zc_client_t *client, const zc_wallet_t *wallet, const zc_params_t *params,
             spend_coins_t *out)
{
    memset (out, 0, sizeof *out);
    for (size_t k = 0; k < zc_wallet_count (wallet); k++) {
        Zc__GetAddress req = ZC__GET_ADDRESS__INIT;
        req.pubkey.data = (uint8_t *) zc_wallet_pubkey (wallet, k);
        req.pubkey.len = 32;
        req.max_utxos = 1000;
        size_t size;
        const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_ADDRESS, &req.base,
                                         ZC__MSG_TYPE__ADDRESS_REPLY, &size);
        Zc__AddressReply *r = zc__address_reply__unpack (NULL, size, body);
        if (!r)
            cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
        out->height = r->height;
        out->balance += r->balance;
        out->utxo_count += r->utxo_count;
        out->immature += r->immature;
        spend_coin_t *grown = realloc (out->coins, (out->n + r->n_utxos + 1) * sizeof *grown);
        if (!grown)
            cli_die (CLI_EXIT_FAIL, "out of memory");
        out->coins = grown;
        for (size_t i = 0; i < r->n_utxos; i++) {
            const Zc__AddressUtxo *u = r->utxos [i];
            if (!u->outpoint || !u->coin || u->outpoint->txid.len != 32 || u->coin->pubkey.len != 32)
                continue;
            //  a coinbase spends once it is mature at the next block
            if (u->coin->coinbase && r->height + 1 - u->coin->height < params->coinbase_maturity)
                continue;
            spend_coin_t *c = &out->coins [out->n++];
            memcpy (c->outpoint.txid.b, u->outpoint->txid.data, 32);
            c->outpoint.index = u->outpoint->index;
            memset (&c->coin, 0, sizeof c->coin);
            c->coin.amount = u->coin->amount;
            memcpy (c->coin.pubkey, u->coin->pubkey.data, 32);
            c->coin.height = u->coin->height;
            c->coin.coinbase = u->coin->coinbase;
            out->total += c->coin.amount;
        }
        zc__address_reply__free_unpacked (r, NULL);
    }
}

static int
s_by_amount_desc (const void *a, const void *b)
{
    uint64_t x = ((const spend_coin_t *) a)->coin.amount, y = ((const spend_coin_t *) b)->coin.amount;
    return x < y ? 1 : x > y ? -1 : 0;
}

void
spend_order_largest (spend_coins_t *coins)
{
    qsort (coins->coins, coins->n, sizeof *coins->coins, s_by_amount_desc);
}

void
spend_order_random (spend_coins_t *coins)
{
    for (size_t i = coins->n; i > 1; i--) {
        uint32_t r;
        if (getrandom (&r, sizeof r, 0) != sizeof r)
            r = (uint32_t) i * 2654435761u;
        size_t j = r % i;
        spend_coin_t t = coins->coins [i - 1];
        coins->coins [i - 1] = coins->coins [j];
        coins->coins [j] = t;
    }
}

void
spend_coins_free (spend_coins_t *coins)
{
    free (coins->coins);
    memset (coins, 0, sizeof *coins);
}

size_t
spend_tx_size (size_t n_in, size_t n_out)
{
    return 4 + zc_varint_size (n_in) + n_in * (ZC_OUTPOINT_BYTES + ZC_SIG_SIZE)
         + zc_varint_size (n_out) + n_out * ZC_TXOUT_BYTES;
}

uint64_t
spend_fee (uint64_t rate, size_t bytes)
{
    return (rate * bytes + 999) / 1000;
}

zc_tx_t *
spend_build (spend_coins_t *coins, const zc_wallet_t *wallet, const zc_params_t *params,
             const uint8_t (*pubkeys) [32], const uint64_t *amounts, size_t n_pay,
             const uint8_t change_key [32], uint64_t fee_rate, char *err, size_t err_size)
{
    uint64_t want = 0;
    for (size_t i = 0; i < n_pay; i++) {
        if (amounts [i] < ZC_DUST_THRESHOLD_DEFAULT) {
            snprintf (err, err_size, "%llu units is dust: nodes refuse outputs under %llu",
                      (unsigned long long) amounts [i], (unsigned long long) ZC_DUST_THRESHOLD_DEFAULT);
            return NULL;
        }
        if (!zc_amount_add (&want, amounts [i])) {
            snprintf (err, err_size, "the amounts add up to more than exists");
            return NULL;
        }
    }
    size_t n_in = 0;
    uint64_t have = 0, fee = 0;
    while (true) {
        fee = spend_fee (fee_rate, spend_tx_size (n_in ? n_in : 1, n_pay + 1));
        if (n_in && have >= want + fee)
            break;
        if (n_in == coins->n || n_in == 1000) {
            char a [ZC_AMOUNT_STR_MAX], b [ZC_AMOUNT_STR_MAX];
            snprintf (err, err_size, "not enough funds: %s spendable, %s needed with the fee",
                      zc_amount_format (coins->total, a), zc_amount_format (want + fee, b));
            return NULL;
        }
        have += coins->coins [n_in++].coin.amount;
    }
    uint64_t change = have - want - fee;
    //  change nodes would refuse as dust goes to the miner instead
    if (change < ZC_DUST_THRESHOLD_DEFAULT)
        change = 0;
    size_t n_out = n_pay + (change > 0 ? 1 : 0);
    zc_txout_t *outputs = calloc (n_out, sizeof *outputs);
    if (!outputs) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    for (size_t o = 0; o < n_pay; o++) {
        outputs [o].amount = amounts [o];
        memcpy (outputs [o].pubkey, pubkeys [o], 32);
    }
    if (change) {
        outputs [n_pay].amount = change;
        memcpy (outputs [n_pay].pubkey, change_key, 32);
    }
    zc_tx_t *tx = spend_sign (coins->coins, n_in, outputs, n_out, wallet, params, err, err_size);
    free (outputs);
    if (!tx)
        return NULL;
    //  spent: off the list; the change is spendable at once (the mempool
    //  accepts chains of unconfirmed transactions)
    memmove (coins->coins, coins->coins + n_in, (coins->n - n_in) * sizeof *coins->coins);
    coins->n -= n_in;
    coins->total -= have;
    if (change) {
        spend_coin_t *c = &coins->coins [coins->n++];     //  room: n_in >= 1 slots freed
        c->outpoint.txid = tx->txid;
        c->outpoint.index = (uint32_t) n_pay;
        memset (&c->coin, 0, sizeof c->coin);
        c->coin.amount = change;
        memcpy (c->coin.pubkey, change_key, 32);
        c->coin.height = UINT32_MAX;
        coins->total += change;
    }
    return tx;
}

zc_tx_t *
spend_sign (const spend_coin_t *inputs, size_t n_in, const zc_txout_t *outputs, size_t n_out,
            const zc_wallet_t *wallet, const zc_params_t *params, char *err, size_t err_size)
{
    zc_tx_t *tx = zc_tx_new ((uint32_t) n_in, (uint32_t) n_out);
    zc_coin_t *spent = calloc (n_in, sizeof *spent);
    zc_seckey_t *keys = calloc (n_in, sizeof *keys);
    if (!tx || !spent || !keys) {
        snprintf (err, err_size, "out of memory");
        zc_tx_destroy (&tx);
        free (spent);
        free (keys);
        return NULL;
    }
    for (size_t i = 0; i < n_in; i++) {
        tx->in [i].prevout = inputs [i].outpoint;
        spent [i] = inputs [i].coin;
        const zc_seckey_t *key = zc_wallet_seckey_for (wallet, spent [i].pubkey);
        if (key)
            keys [i] = *key;
    }
    memcpy (tx->out, outputs, n_out * sizeof *outputs);
    int rc = zc_tx_sign (tx, spent, zc_params_genesis_hash (params), keys);
    explicit_bzero (keys, n_in * sizeof *keys);
    free (keys);
    free (spent);
    if (rc) {
        snprintf (err, err_size, "cannot sign: a coin belongs to no key of the wallet");
        zc_tx_destroy (&tx);
    }
    return tx;
}

zc_err_t
spend_submit (zc_client_t *client, const zc_tx_t *tx, const char **detail_p)
{
    size_t size;
    uint8_t *raw = zc_tx_encode (tx, &size);
    if (!raw)
        return ZC_ERR_INTERNAL;
    Zc__SubmitTxs req = ZC__SUBMIT_TXS__INIT;
    ProtobufCBinaryData txs [1] = { { size, raw } };
    req.n_txs = 1;
    req.txs = txs;
    req.source = (char *) "cli";
    uint32_t type;
    const uint8_t *body;
    size_t reply_size;
    zc_err_t rc = zc_client_call (client, ZC__MSG_TYPE__SUBMIT_TXS, &req.base, 30000, &type, &body,
                                  &reply_size, detail_p);
    free (raw);
    if (rc != ZC_OK)
        return rc;
    Zc__SubmitTxsReply *r = zc__submit_txs_reply__unpack (NULL, reply_size, body);
    rc = r && r->n_results == 1 ? (zc_err_t) r->results [0]->reason : ZC_ERR_INTERNAL;
    if (r)
        zc__submit_txs_reply__free_unpacked (r, NULL);
    return rc;
}
