/*  http.c - HTTP JSON api on libmicrohttpd */
#include "http.h"
#include "zc_amount.h"
#include "zc_asset.h"
#include "zc_bech32.h"
#include "zc_block.h"
#include "zc_fee.h"
#include "zc_hex.h"
#include "zc_http.h"
#include "zc_log.h"
#include "zc_metrics.h"
#include "zc_text.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_THREADS 4
#define MAX_POST (2 * 100000 + 64)      //  hex of the largest transaction
#define CALL_TIMEOUT_MS 30000

extern const zc_asset_t zc_assets_explorer [];  //  web/explorer, by cmake/embed.cmake

//  A client of the gateway actor's own api (inproc): every request the
//  HTTP server makes goes through the one front door
typedef struct {
    zc_client_t *node;
    bool busy;
} s_clients_t;

struct _http_t {
    zc_http_t *server;
    const zc_params_t *params;
    s_clients_t clients [HTTP_THREADS + 2];
    int n_clients;
    pthread_mutex_t lock;
    pthread_cond_t free_cond;
    atomic_ullong served;
    atomic_ullong errors;
    atomic_bool stopping;               //  calls waiting for the node give up
    bool explorer;                      //  serve web/explorer at "/"
};

typedef struct {
    char *body;
    size_t size;
    bool too_big;
} s_upload_t;

//  Borrow a client; every MHD thread holds at most one
static s_clients_t *
s_take (http_t *self)
{
    pthread_mutex_lock (&self->lock);
    s_clients_t *c = NULL;
    while (!c) {
        for (int i = 0; i < self->n_clients && !c; i++)
            if (!self->clients [i].busy)
                c = &self->clients [i];
        if (!c)
            pthread_cond_wait (&self->free_cond, &self->lock);
    }
    c->busy = true;
    pthread_mutex_unlock (&self->lock);
    return c;
}

static void
s_give (http_t *self, s_clients_t *c)
{
    pthread_mutex_lock (&self->lock);
    c->busy = false;
    pthread_cond_signal (&self->free_cond);
    pthread_mutex_unlock (&self->lock);
}

static enum MHD_Result
s_send (struct MHD_Connection *connection, unsigned status, const char *type, char *body,
        size_t size)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (size, body,
                                                                     MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header (response, "Content-Type", type);
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_json (struct MHD_Connection *connection, unsigned status, zc_text_t *text)
{
    zc_text_printf (text, "\n");
    size_t size;
    char *body = zc_text_take (text, &size);
    if (!body)
        return MHD_NO;
    return s_send (connection, status, "application/json", body, size);
}

static enum MHD_Result
s_plain (struct MHD_Connection *connection, unsigned status, const char *line)
{
    size_t size = strlen (line);
    char *body = malloc (size + 2);
    if (!body)
        return MHD_NO;
    memcpy (body, line, size);
    body [size++] = '\n';
    body [size] = 0;
    return s_send (connection, status, "text/plain", body, size);
}

static unsigned
s_status_of (zc_err_t reason)
{
    switch (reason) {
        case ZC_ERR_NOT_FOUND:
            return MHD_HTTP_NOT_FOUND;
        case ZC_ERR_BUSY:
        case ZC_ERR_TIMEOUT:
        case ZC_ERR_MEMPOOL_FULL:
        case ZC_ERR_STORAGE_FULL:
        case ZC_ERR_UNAVAILABLE:
            return MHD_HTTP_SERVICE_UNAVAILABLE;
        case ZC_ERR_INTERNAL:
        case ZC_ERR_CORRUPTION:
            return MHD_HTTP_INTERNAL_SERVER_ERROR;
        default:
            return MHD_HTTP_BAD_REQUEST;
    }
}

static enum MHD_Result
s_error (http_t *self, struct MHD_Connection *connection, zc_err_t reason, const char *detail)
{
    atomic_fetch_add (&self->errors, 1);
    zc_text_t t;
    zc_text_init (&t);
    zc_text_printf (&t, "{\"error\":\"%s\",\"code\":%d,\"detail\":", zc_err_name (reason), (int) reason);
    zc_text_json_string (&t, detail ? detail : zc_err_name (reason));
    zc_text_printf (&t, "}");
    return s_json (connection, s_status_of (reason), &t);
}

//  A call to storage or the mempool; ZC_OK with the reply body
static zc_err_t
s_call (zc_client_t *client, uint32_t type, const ProtobufCMessage *body, uint32_t expect,
        const uint8_t **reply, size_t *size, const char **detail)
{
    uint32_t got;
    zc_err_t rc = zc_client_call (client, type, body, CALL_TIMEOUT_MS, &got, reply, size, detail);
    if (rc == ZC_OK && got != expect)
        rc = ZC_ERR_INTERNAL;
    if (rc == ZC_ERR_TIMEOUT && detail)
        *detail = "the node did not answer in time";
    return rc;
}

static void
s_json_address (http_t *self, zc_text_t *t, const uint8_t pubkey [32])
{
    char address [ZC_ADDRESS_MAX];
    if (zc_address_encode (pubkey, self->params->hrp, address) == 0)
        zc_text_json_string (t, address);
    else
        zc_text_printf (t, "null");
}

//  A transaction as JSON (Esplora's field names where they fit); each
//  input's prevout when the reply carries the coins it spent
static void
s_json_tx (http_t *self, zc_text_t *t, const zc_tx_t *tx, const Zc__TxReply *reply)
{
    zc_text_printf (t, "\"txid\":");
    zc_text_json_hex (t, tx->txid.b, 32);
    zc_text_printf (t, ",\"wtxid\":");
    zc_text_json_hex (t, tx->wtxid.b, 32);
    zc_text_printf (t, ",\"version\":%u,\"size\":%u,\"coinbase\":%s,\"vin\":[", tx->version, tx->size,
                    zc_tx_is_coinbase (tx) ? "true" : "false");
    bool prevouts = reply && reply->n_prevouts == tx->n_in;
    for (uint32_t i = 0; i < tx->n_in; i++) {
        zc_text_printf (t, "%s{\"txid\":", i ? "," : "");
        zc_text_json_hex (t, tx->in [i].prevout.txid.b, 32);
        zc_text_printf (t, ",\"vout\":%u", tx->in [i].prevout.index);
        const Zc__Coin *coin = prevouts ? reply->prevouts [i] : NULL;
        if (coin && coin->pubkey.len == 32) {
            zc_text_printf (t, ",\"prevout\":{\"value\":%llu,\"address\":",
                            (unsigned long long) coin->amount);
            s_json_address (self, t, coin->pubkey.data);
            zc_text_printf (t, "}");
        }
        else
        if (!zc_tx_is_coinbase (tx))
            zc_text_printf (t, ",\"prevout\":null");
        zc_text_printf (t, "}");
    }
    zc_text_printf (t, "],\"vout\":[");
    for (uint32_t o = 0; o < tx->n_out; o++) {
        zc_text_printf (t, "%s{\"value\":%llu,\"address\":", o ? "," : "",
                        (unsigned long long) tx->out [o].amount);
        s_json_address (self, t, tx->out [o].pubkey);
        zc_text_printf (t, "}");
    }
    zc_text_printf (t, "]");
}

//  A transaction's status object: where it is confirmed, if it is
static void
s_json_status (zc_text_t *t, const Zc__TxReply *reply, bool with_confirmations)
{
    zc_text_printf (t, "{\"confirmed\":%s", reply->confirmed ? "true" : "false");
    if (reply->confirmed) {
        zc_text_printf (t, ",\"block_height\":%u,\"block_hash\":", reply->height);
        zc_text_json_hex (t, reply->block_hash.data, reply->block_hash.len);
        zc_text_printf (t, ",\"block_time\":%u", reply->block_time);
        if (with_confirmations)
            zc_text_printf (t, ",\"confirmations\":%u", reply->confirmations);
    }
    zc_text_printf (t, "}");
}

//  The whole object of GET /api/tx/TXID
static void
s_json_tx_full (http_t *self, zc_text_t *t, const zc_tx_t *tx, const Zc__TxReply *reply)
{
    zc_text_printf (t, "{");
    s_json_tx (self, t, tx, reply);
    if (zc_tx_is_coinbase (tx))
        zc_text_printf (t, ",\"fee\":0,\"fee_rate\":0");
    else
    if (reply->fee_known || !reply->confirmed)
        zc_text_printf (t, ",\"fee\":%llu,\"fee_rate\":%llu", (unsigned long long) reply->fee,
                        (unsigned long long) zc_fee_block_rate (reply->fee, tx->size));
    zc_text_printf (t, ",\"status\":");
    s_json_status (t, reply, true);
    zc_text_printf (t, "}");
}

static enum MHD_Result
s_tip (http_t *self, struct MHD_Connection *c, s_clients_t *cl)
{
    Zc__GetTip req = ZC__GET_TIP__INIT;
    const uint8_t *body;
    size_t size;
    const char *detail = NULL;
    zc_err_t rc = s_call (cl->node, ZC__MSG_TYPE__GET_TIP, &req.base, ZC__MSG_TYPE__TIP_REPLY,
                          &body, &size, &detail);
    Zc__TipReply *tip = rc == ZC_OK ? zc__tip_reply__unpack (NULL, size, body) : NULL;
    if (!tip)
        return s_error (self, c, rc == ZC_OK ? ZC_ERR_INTERNAL : rc, detail);
    zc_header_t header;
    zc_header_decode (tip->header.data, tip->header.len, &header);
    zc_text_t t;
    zc_text_init (&t);
    zc_text_printf (&t, "{\"height\":%u,\"hash\":", tip->height);
    zc_text_json_hex (&t, tip->hash.data, tip->hash.len);
    zc_text_printf (&t, ",\"time\":%u,\"bits\":%u,\"next_bits\":%u,\"utxo_count\":%llu,\"total_amount\":%llu,\"event_seq\":%llu",
                    header.time, header.bits, tip->next_bits, (unsigned long long) tip->utxo_count,
                    (unsigned long long) tip->total_amount, (unsigned long long) tip->event_seq);
    zc__tip_reply__free_unpacked (tip, NULL);
    Zc__GetMempool mreq = ZC__GET_MEMPOOL__INIT;
    if (s_call (cl->node, ZC__MSG_TYPE__GET_MEMPOOL, &mreq.base, ZC__MSG_TYPE__MEMPOOL_REPLY,
                &body, &size, NULL) == ZC_OK) {
        Zc__MempoolReply *m = zc__mempool_reply__unpack (NULL, size, body);
        if (m) {
            zc_text_printf (&t, ",\"mempool_txs\":%llu,\"mempool_bytes\":%llu",
                            (unsigned long long) m->count, (unsigned long long) m->bytes);
            zc__mempool_reply__free_unpacked (m, NULL);
        }
    }
    zc_text_printf (&t, ",\"network\":\"%s\"}", self->params->name);
    return s_json (c, MHD_HTTP_OK, &t);
}

//  A height is decimal digits and nothing else: strtoul would also take
//  "+5", " 5" and "-1" (as 2^64 - 1)
static int
s_parse_height (const char *text, uint32_t *height)
{
    uint64_t value = 0;
    size_t len = strlen (text);
    if (len == 0 || len > 10)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (text [i] < '0' || text [i] > '9')
            return -1;
        value = value * 10 + (uint64_t) (text [i] - '0');
    }
    if (value > UINT32_MAX)
        return -1;
    *height = (uint32_t) value;
    return 0;
}

typedef enum { BLOCK_JSON, BLOCK_HEADER, BLOCK_RAW, BLOCK_TXIDS } s_block_view_t;

static enum MHD_Result
s_block (http_t *self, struct MHD_Connection *c, s_clients_t *cl, const char *arg, bool by_height,
         s_block_view_t view)
{
    Zc__GetBlock req = ZC__GET_BLOCK__INIT;
    zc_hash_t hash;
    if (by_height) {
        if (s_parse_height (arg, &req.height))
            return s_error (self, c, ZC_ERR_BAD_REQUEST, "not a height (decimal digits, at most 4294967295)");
        req.by_height = true;
    }
    else {
        if (zc_hash_from_hex (arg, &hash))
            return s_error (self, c, ZC_ERR_BAD_REQUEST, "not a block hash (64 hex digits)");
        req.hash.data = hash.b;
        req.hash.len = 32;
    }
    const uint8_t *body;
    size_t size;
    const char *detail = NULL;
    zc_err_t rc = s_call (cl->node, ZC__MSG_TYPE__GET_BLOCK, &req.base, ZC__MSG_TYPE__BLOCK_REPLY,
                          &body, &size, &detail);
    Zc__BlockReply *reply = rc == ZC_OK ? zc__block_reply__unpack (NULL, size, body) : NULL;
    zc_block_t *block = NULL;
    if (!reply || zc_block_decode (reply->raw.data, reply->raw.len, &block) != ZC_OK) {
        if (reply)
            zc__block_reply__free_unpacked (reply, NULL);
        return s_error (self, c, rc == ZC_OK ? ZC_ERR_INTERNAL : rc, detail);
    }
    enum MHD_Result result;
    if (view == BLOCK_HEADER) {
        uint8_t header [ZC_HEADER_SIZE];
        char hex [2 * ZC_HEADER_SIZE + 1];
        zc_header_encode (&block->header, header);
        zc_hex_encode (header, sizeof header, hex);
        result = s_plain (c, MHD_HTTP_OK, hex);
    }
    else
    if (view == BLOCK_RAW) {
        uint8_t *copy = malloc (reply->raw.len ? reply->raw.len : 1);
        if (copy)
            memcpy (copy, reply->raw.data, reply->raw.len);
        result = copy ? s_send (c, MHD_HTTP_OK, "application/octet-stream", (char *) copy,
                                reply->raw.len)
                      : MHD_NO;
    }
    else
    if (view == BLOCK_TXIDS) {
        zc_text_t t;
        zc_text_init (&t);
        zc_text_printf (&t, "[");
        for (uint32_t i = 0; i < block->n_tx; i++) {
            if (i)
                zc_text_printf (&t, ",");
            zc_text_json_hex (&t, block->tx [i]->txid.b, 32);
        }
        zc_text_printf (&t, "]");
        result = s_json (c, MHD_HTTP_OK, &t);
    }
    else
    if (by_height) {
        char hex [65];
        result = s_plain (c, MHD_HTTP_OK, zc_hash_hex (&block->hash, hex));
    }
    else {
        zc_text_t t;
        zc_text_init (&t);
        zc_text_printf (&t, "{\"hash\":");
        zc_text_json_hex (&t, block->hash.b, 32);
        zc_text_printf (&t, ",\"height\":%u,\"version\":%u,\"previousblockhash\":", reply->height,
                        block->header.version);
        zc_text_json_hex (&t, block->header.prev.b, 32);
        zc_text_printf (&t, ",\"merkle_root\":");
        zc_text_json_hex (&t, block->header.merkle.b, 32);
        zc_text_printf (&t, ",\"timestamp\":%u,\"bits\":%u,\"nonce\":%u,\"size\":%zu,\"tx_count\":%u,"
                        "\"in_best_chain\":%s,\"confirmations\":%u,\"txids\":[",
                        block->header.time, block->header.bits, block->header.nonce, block->size,
                        block->n_tx, reply->in_best_chain ? "true" : "false", reply->confirmations);
        for (uint32_t i = 0; i < block->n_tx; i++) {
            if (i)
                zc_text_printf (&t, ",");
            zc_text_json_hex (&t, block->tx [i]->txid.b, 32);
        }
        zc_text_printf (&t, "]}");
        result = s_json (c, MHD_HTTP_OK, &t);
    }
    zc__block_reply__free_unpacked (reply, NULL);
    zc_block_destroy (&block);
    atomic_fetch_add (&self->served, 1);
    return result;
}

//  A transaction from the chain, else the mempool: the reply (the caller
//  frees) or NULL with the reason
static Zc__TxReply *
s_fetch_tx (s_clients_t *cl, const zc_hash_t *txid, bool with_prevouts, zc_err_t *rc_p,
            const char **detail)
{
    Zc__GetTx req = ZC__GET_TX__INIT;
    req.txid.data = (uint8_t *) txid->b;
    req.txid.len = 32;
    req.with_prevouts = with_prevouts;
    const uint8_t *body;
    size_t size;
    //  the gateway asks the chain first, then the mempool
    zc_err_t rc = s_call (cl->node, ZC__MSG_TYPE__GET_TX, &req.base, ZC__MSG_TYPE__TX_REPLY,
                          &body, &size, detail);
    Zc__TxReply *reply = rc == ZC_OK ? zc__tx_reply__unpack (NULL, size, body) : NULL;
    if (rc == ZC_OK && !reply)
        rc = ZC_ERR_INTERNAL;
    *rc_p = rc;
    return reply;
}

typedef enum { TX_JSON, TX_HEX, TX_STATUS } s_tx_view_t;

static enum MHD_Result
s_tx (http_t *self, struct MHD_Connection *c, s_clients_t *cl, const char *arg, s_tx_view_t view)
{
    zc_hash_t txid;
    if (zc_hash_from_hex (arg, &txid))
        return s_error (self, c, ZC_ERR_BAD_REQUEST, "not a txid (64 hex digits)");
    const char *detail = NULL;
    zc_err_t rc;
    Zc__TxReply *reply = s_fetch_tx (cl, &txid, view == TX_JSON, &rc, &detail);
    zc_tx_t *tx = NULL;
    if (!reply || zc_tx_decode (reply->raw.data, reply->raw.len, &tx) != ZC_OK) {
        if (reply)
            zc__tx_reply__free_unpacked (reply, NULL);
        return s_error (self, c, rc == ZC_OK ? ZC_ERR_INTERNAL : rc, detail);
    }
    enum MHD_Result result;
    if (view == TX_HEX) {
        char *hex = malloc (2 * reply->raw.len + 1);
        if (hex)
            zc_hex_encode (reply->raw.data, reply->raw.len, hex);
        result = hex ? s_plain (c, MHD_HTTP_OK, hex) : MHD_NO;
        free (hex);
    }
    else {
        zc_text_t t;
        zc_text_init (&t);
        if (view == TX_STATUS)
            s_json_status (&t, reply, false);
        else
            s_json_tx_full (self, &t, tx, reply);
        result = s_json (c, MHD_HTTP_OK, &t);
    }
    zc__tx_reply__free_unpacked (reply, NULL);
    zc_tx_destroy (&tx);
    atomic_fetch_add (&self->served, 1);
    return result;
}

//  GET /api/tx/TXID/outspend/VOUT: the transaction must exist and have the output
static enum MHD_Result
s_outspend (http_t *self, struct MHD_Connection *c, s_clients_t *cl, const char *txid_hex,
            const char *vout_text)
{
    zc_hash_t txid;
    uint32_t vout;
    if (zc_hash_from_hex (txid_hex, &txid))
        return s_error (self, c, ZC_ERR_BAD_REQUEST, "not a txid (64 hex digits)");
    if (s_parse_height (vout_text, &vout))
        return s_error (self, c, ZC_ERR_BAD_REQUEST, "not an output index (decimal digits)");
    const char *detail = NULL;
    zc_err_t rc;
    Zc__TxReply *reply = s_fetch_tx (cl, &txid, false, &rc, &detail);
    zc_tx_t *tx = NULL;
    if (!reply || zc_tx_decode (reply->raw.data, reply->raw.len, &tx) != ZC_OK) {
        if (reply)
            zc__tx_reply__free_unpacked (reply, NULL);
        return s_error (self, c, rc == ZC_OK ? ZC_ERR_INTERNAL : rc, detail);
    }
    uint32_t n_out = tx->n_out;
    zc_tx_destroy (&tx);
    zc__tx_reply__free_unpacked (reply, NULL);
    if (vout >= n_out)
        return s_error (self, c, ZC_ERR_NOT_FOUND, "the transaction has no such output");
    Zc__OutPoint op = ZC__OUT_POINT__INIT;
    op.txid.data = txid.b;
    op.txid.len = 32;
    op.index = vout;
    Zc__GetOutspend req = ZC__GET_OUTSPEND__INIT;
    req.outpoint = &op;
    const uint8_t *body;
    size_t size;
    //  the chain first: storage connects a block before the mempool hears
    //  of it, so a spend in the tip is never reported as unconfirmed
    req.chain = true;
    rc = s_call (cl->node, ZC__MSG_TYPE__GET_OUTSPEND, &req.base, ZC__MSG_TYPE__OUTSPEND_REPLY,
                 &body, &size, &detail);
    Zc__OutspendReply *out = rc == ZC_OK ? zc__outspend_reply__unpack (NULL, size, body) : NULL;
    if (out && !out->spent) {
        zc__outspend_reply__free_unpacked (out, NULL);
        req.chain = false;
        rc = s_call (cl->node, ZC__MSG_TYPE__GET_OUTSPEND, &req.base,
                     ZC__MSG_TYPE__OUTSPEND_REPLY, &body, &size, &detail);
        out = rc == ZC_OK ? zc__outspend_reply__unpack (NULL, size, body) : NULL;
    }
    if (!out)
        return s_error (self, c, rc == ZC_OK ? ZC_ERR_INTERNAL : rc, detail);
    zc_text_t t;
    zc_text_init (&t);
    if (!out->spent)
        zc_text_printf (&t, "{\"spent\":false}");
    else {
        zc_text_printf (&t, "{\"spent\":true,\"txid\":");
        zc_text_json_hex (&t, out->txid.data, out->txid.len);
        zc_text_printf (&t, ",\"vin\":%u,\"status\":{\"confirmed\":%s", out->vin,
                        out->confirmed ? "true" : "false");
        if (out->confirmed) {
            zc_text_printf (&t, ",\"block_height\":%u,\"block_hash\":", out->height);
            zc_text_json_hex (&t, out->block_hash.data, out->block_hash.len);
            zc_text_printf (&t, ",\"block_time\":%u", out->block_time);
        }
        zc_text_printf (&t, "}}");
    }
    zc__outspend_reply__free_unpacked (out, NULL);
    atomic_fetch_add (&self->served, 1);
    return s_json (c, MHD_HTTP_OK, &t);
}

//  Whether a reply lists the transaction txid
static bool
s_lists_txid (const Zc__AddressTxsReply *reply, const ProtobufCBinaryData *txid)
{
    for (size_t i = 0; reply && i < reply->n_txs; i++)
        if (reply->txs [i]->txid.len == txid->len
        &&  memcmp (reply->txs [i]->txid.data, txid->data, txid->len) == 0)
            return true;
    return false;
}

//  The rows of an AddressTxsReply into t (a JSON list being written),
//  but those that skip lists
static int
s_json_tx_rows (http_t *self, zc_text_t *t, const Zc__AddressTxsReply *reply,
                const Zc__AddressTxsReply *skip, size_t *rows)
{
    for (size_t i = 0; i < reply->n_txs; i++) {
        if (s_lists_txid (skip, &reply->txs [i]->txid))
            continue;
        zc_tx_t *tx = NULL;
        if (zc_tx_decode (reply->txs [i]->raw.data, reply->txs [i]->raw.len, &tx) != ZC_OK)
            return -1;
        if ((*rows)++)
            zc_text_printf (t, ",");
        s_json_tx_full (self, t, tx, reply->txs [i]);
        zc_tx_destroy (&tx);
    }
    return 0;
}

//  GET /api/address/ADDR/txs[/chain/LAST_TXID]: the mempool's (up to 50,
//  first page only), then up to 25 confirmed, newest first
static enum MHD_Result
s_address_txs (http_t *self, struct MHD_Connection *c, s_clients_t *cl, const char *address,
               const char *after_hex)
{
    uint8_t pubkey [32];
    zc_err_t rc = zc_address_decode (address, self->params->hrp, pubkey);
    if (rc != ZC_OK)
        return s_error (self, c, rc, rc == ZC_ERR_WRONG_NETWORK ? "an address of another network"
                                                                : "not a valid address");
    zc_hash_t after;
    if (after_hex && zc_hash_from_hex (after_hex, &after))
        return s_error (self, c, ZC_ERR_BAD_REQUEST, "not a txid (64 hex digits)");
    Zc__GetAddressTxs req = ZC__GET_ADDRESS_TXS__INIT;
    req.pubkey.data = pubkey;
    req.pubkey.len = 32;
    const uint8_t *body;
    size_t size;
    const char *detail = NULL;
    Zc__AddressTxsReply *pool = NULL, *chain = NULL;
    if (after_hex) {
        req.after_txid.data = after.b;
        req.after_txid.len = 32;
    }
    //  the chain first: storage connects a block before the mempool hears
    //  of it, so a transaction of the tip may still be in the pool's list,
    //  where it is left out
    req.chain = true;
    rc = s_call (cl->node, ZC__MSG_TYPE__GET_ADDRESS_TXS, &req.base,
                 ZC__MSG_TYPE__ADDRESS_TXS_REPLY, &body, &size, &detail);
    chain = rc == ZC_OK ? zc__address_txs_reply__unpack (NULL, size, body) : NULL;
    if (!chain)
        return s_error (self, c, rc == ZC_OK ? ZC_ERR_INTERNAL : rc, detail);
    if (!after_hex) {
        req.chain = false;
        rc = s_call (cl->node, ZC__MSG_TYPE__GET_ADDRESS_TXS, &req.base,
                     ZC__MSG_TYPE__ADDRESS_TXS_REPLY, &body, &size, &detail);
        pool = rc == ZC_OK ? zc__address_txs_reply__unpack (NULL, size, body) : NULL;
        if (!pool) {
            zc__address_txs_reply__free_unpacked (chain, NULL);
            return s_error (self, c, rc == ZC_OK ? ZC_ERR_INTERNAL : rc, detail);
        }
    }
    zc_text_t t;
    zc_text_init (&t);
    zc_text_printf (&t, "[");
    size_t rows = 0;
    int bad = pool ? s_json_tx_rows (self, &t, pool, chain, &rows) : 0;
    if (!bad)
        bad = s_json_tx_rows (self, &t, chain, NULL, &rows);
    zc_text_printf (&t, "]");
    if (pool)
        zc__address_txs_reply__free_unpacked (pool, NULL);
    zc__address_txs_reply__free_unpacked (chain, NULL);
    if (bad) {
        zc_text_free (&t);
        return s_error (self, c, ZC_ERR_INTERNAL, "a stored transaction did not decode");
    }
    atomic_fetch_add (&self->served, 1);
    return s_json (c, MHD_HTTP_OK, &t);
}

static enum MHD_Result
s_address (http_t *self, struct MHD_Connection *c, s_clients_t *cl, const char *arg, bool utxos)
{
    char address [ZC_ADDRESS_MAX + 1];
    //  a longer argument is not an address: never decode a truncated copy
    if (strlen (arg) >= sizeof address)
        return s_error (self, c, ZC_ERR_MALFORMED, "not a valid address");
    snprintf (address, sizeof address, "%s", arg);
    uint8_t pubkey [32];
    zc_err_t rc = zc_address_decode (address, self->params->hrp, pubkey);
    if (rc != ZC_OK)
        return s_error (self, c, rc, rc == ZC_ERR_WRONG_NETWORK ? "an address of another network"
                                                                : "not a valid address");
    Zc__GetAddress req = ZC__GET_ADDRESS__INIT;
    req.pubkey.data = pubkey;
    req.pubkey.len = 32;
    req.max_utxos = utxos ? 1000 : 0;
    const uint8_t *body;
    size_t size;
    const char *detail = NULL;
    rc = s_call (cl->node, ZC__MSG_TYPE__GET_ADDRESS, &req.base, ZC__MSG_TYPE__ADDRESS_REPLY,
                 &body, &size, &detail);
    Zc__AddressReply *reply = rc == ZC_OK ? zc__address_reply__unpack (NULL, size, body) : NULL;
    if (!reply)
        return s_error (self, c, rc == ZC_OK ? ZC_ERR_INTERNAL : rc, detail);
    zc_text_t t;
    zc_text_init (&t);
    if (!utxos) {
        zc_text_printf (&t, "{\"address\":");
        zc_text_json_string (&t, address);
        zc_text_printf (&t, ",\"balance\":%llu,\"immature\":%llu,\"spendable\":%llu,\"utxo_count\":%llu,\"height\":%u}",
                        (unsigned long long) reply->balance, (unsigned long long) reply->immature,
                        (unsigned long long) (reply->balance - reply->immature),
                        (unsigned long long) reply->utxo_count, reply->height);
    }
    else {
        zc_text_printf (&t, "[");
        for (size_t i = 0; i < reply->n_utxos; i++) {
            const Zc__AddressUtxo *u = reply->utxos [i];
            if (!u->outpoint || !u->coin)
                continue;
            zc_text_printf (&t, "%s{\"txid\":", i ? "," : "");
            zc_text_json_hex (&t, u->outpoint->txid.data, u->outpoint->txid.len);
            zc_text_printf (&t, ",\"vout\":%u,\"value\":%llu,\"coinbase\":%s,\"status\":{\"confirmed\":true,\"block_height\":%u}}",
                            u->outpoint->index, (unsigned long long) u->coin->amount,
                            u->coin->coinbase ? "true" : "false", u->coin->height);
        }
        zc_text_printf (&t, "]");
    }
    zc__address_reply__free_unpacked (reply, NULL);
    atomic_fetch_add (&self->served, 1);
    return s_json (c, MHD_HTTP_OK, &t);
}

static Zc__MempoolReply *
s_fetch_mempool (s_clients_t *cl, bool with_recent, bool with_fees, zc_err_t *rc_p,
                 const char **detail);

static enum MHD_Result
s_mempool (http_t *self, struct MHD_Connection *c, s_clients_t *cl)
{
    const char *detail = NULL;
    zc_err_t rc;
    Zc__MempoolReply *m = s_fetch_mempool (cl, false, true, &rc, &detail);
    if (!m)
        return s_error (self, c, rc, detail);
    zc_text_t t;
    zc_text_init (&t);
    zc_text_printf (&t, "{\"count\":%llu,\"bytes\":%llu,\"min_fee_rate\":%llu,\"total_fee\":%llu,\"fee_histogram\":[",
                    (unsigned long long) m->count, (unsigned long long) m->bytes,
                    (unsigned long long) m->min_fee_rate, (unsigned long long) m->total_fee);
    for (size_t i = 0; i < m->n_fee_histogram; i++)
        zc_text_printf (&t, "%s[%llu,%llu]", i ? "," : "",
                        (unsigned long long) m->fee_histogram [i]->rate,
                        (unsigned long long) m->fee_histogram [i]->bytes);
    zc_text_printf (&t, "]}");
    zc__mempool_reply__free_unpacked (m, NULL);
    atomic_fetch_add (&self->served, 1);
    return s_json (c, MHD_HTTP_OK, &t);
}

//  GET_BLOCKS: the reply (the caller frees) or NULL with the reason
static Zc__BlocksReply *
s_fetch_blocks (s_clients_t *cl, bool from_tip, uint32_t start, uint32_t max, zc_err_t *rc_p,
                const char **detail)
{
    Zc__GetBlocks req = ZC__GET_BLOCKS__INIT;
    req.from_tip = from_tip;
    req.start_height = start;
    req.max = max;
    const uint8_t *body;
    size_t size;
    zc_err_t rc = s_call (cl->node, ZC__MSG_TYPE__GET_BLOCKS, &req.base,
                          ZC__MSG_TYPE__BLOCKS_REPLY, &body, &size, detail);
    Zc__BlocksReply *reply = rc == ZC_OK ? zc__blocks_reply__unpack (NULL, size, body) : NULL;
    *rc_p = rc == ZC_OK && !reply ? ZC_ERR_INTERNAL : rc;
    return reply;
}

//  GET /api/blocks[/START_HEIGHT]: 10 blocks of the best chain going down
static enum MHD_Result
s_blocks (http_t *self, struct MHD_Connection *c, s_clients_t *cl, const char *arg)
{
    uint32_t start = 0;
    if (arg && s_parse_height (arg, &start))
        return s_error (self, c, ZC_ERR_BAD_REQUEST, "not a height (decimal digits, at most 4294967295)");
    const char *detail = NULL;
    zc_err_t rc;
    Zc__BlocksReply *reply = s_fetch_blocks (cl, arg == NULL, start, 10, &rc, &detail);
    if (!reply)
        return s_error (self, c, rc, detail);
    zc_text_t t;
    zc_text_init (&t);
    zc_text_printf (&t, "[");
    for (size_t i = 0; i < reply->n_blocks; i++) {
        const Zc__BlockSummary *b = reply->blocks [i];
        zc_header_t header;
        if (zc_header_decode (b->header.data, b->header.len, &header) != ZC_OK)
            memset (&header, 0, sizeof header);
        zc_text_printf (&t, "%s{\"id\":", i ? "," : "");
        zc_text_json_hex (&t, b->hash.data, b->hash.len);
        zc_text_printf (&t, ",\"height\":%u,\"timestamp\":%u,\"tx_count\":%u,\"size\":%u,\"merkle_root\":",
                        b->height, header.time, b->tx_count, b->size);
        zc_text_json_hex (&t, header.merkle.b, 32);
        zc_text_printf (&t, ",\"previousblockhash\":");
        zc_text_json_hex (&t, header.prev.b, 32);
        zc_text_printf (&t, ",\"nonce\":%u,\"bits\":%u}", header.nonce, header.bits);
    }
    zc_text_printf (&t, "]");
    zc__blocks_reply__free_unpacked (reply, NULL);
    atomic_fetch_add (&self->served, 1);
    return s_json (c, MHD_HTTP_OK, &t);
}

static Zc__MempoolReply *
s_fetch_mempool (s_clients_t *cl, bool with_recent, bool with_fees, zc_err_t *rc_p,
                 const char **detail)
{
    Zc__GetMempool req = ZC__GET_MEMPOOL__INIT;
    req.with_recent = with_recent;
    req.with_fees = with_fees;
    const uint8_t *body;
    size_t size;
    zc_err_t rc = s_call (cl->node, ZC__MSG_TYPE__GET_MEMPOOL, &req.base,
                          ZC__MSG_TYPE__MEMPOOL_REPLY, &body, &size, detail);
    Zc__MempoolReply *m = rc == ZC_OK ? zc__mempool_reply__unpack (NULL, size, body) : NULL;
    *rc_p = rc == ZC_OK && !m ? ZC_ERR_INTERNAL : rc;
    return m;
}

//  GET /api/mempool/recent
static enum MHD_Result
s_mempool_recent (http_t *self, struct MHD_Connection *c, s_clients_t *cl)
{
    const char *detail = NULL;
    zc_err_t rc;
    Zc__MempoolReply *m = s_fetch_mempool (cl, true, false, &rc, &detail);
    if (!m)
        return s_error (self, c, rc, detail);
    zc_text_t t;
    zc_text_init (&t);
    zc_text_printf (&t, "[");
    for (size_t i = 0; i < m->n_recent; i++) {
        const Zc__MempoolEntry *e = m->recent [i];
        zc_text_printf (&t, "%s{\"txid\":", i ? "," : "");
        zc_text_json_hex (&t, e->txid.data, e->txid.len);
        zc_text_printf (&t, ",\"fee\":%llu,\"size\":%u,\"value\":%llu}", (unsigned long long) e->fee,
                        e->size, (unsigned long long) e->value);
    }
    zc_text_printf (&t, "]");
    zc__mempool_reply__free_unpacked (m, NULL);
    atomic_fetch_add (&self->served, 1);
    return s_json (c, MHD_HTTP_OK, &t);
}

//  GET /api/fee-estimates: the rule of common/zc_fee.h over the mempool's
//  depth rates and the last 12 blocks' fee rates
static enum MHD_Result
s_fee_estimates (http_t *self, struct MHD_Connection *c, s_clients_t *cl)
{
    static const uint32_t targets [] = { 1, 3, 6, 12 };
    enum { N_TARGETS = sizeof targets / sizeof targets [0] };
    const char *detail = NULL;
    zc_err_t rc;
    Zc__MempoolReply *m = s_fetch_mempool (cl, false, true, &rc, &detail);
    if (!m)
        return s_error (self, c, rc, detail);
    Zc__BlocksReply *blocks = s_fetch_blocks (cl, true, 0, 12, &rc, &detail);
    if (!blocks) {
        zc__mempool_reply__free_unpacked (m, NULL);
        return s_error (self, c, rc, detail);
    }
    uint64_t out [N_TARGETS];
    zc_fee_estimate_from (m, blocks, targets, N_TARGETS, out);
    zc__mempool_reply__free_unpacked (m, NULL);
    zc__blocks_reply__free_unpacked (blocks, NULL);
    zc_text_t t;
    zc_text_init (&t);
    for (int i = 0; i < N_TARGETS; i++)
        zc_text_printf (&t, "%s\"%u\":%llu", i ? "," : "{", targets [i], (unsigned long long) out [i]);
    zc_text_printf (&t, "}");
    atomic_fetch_add (&self->served, 1);
    return s_json (c, MHD_HTTP_OK, &t);
}

static enum MHD_Result
s_post_tx (http_t *self, struct MHD_Connection *c, s_clients_t *cl, s_upload_t *up)
{
    if (up->too_big)
        return s_error (self, c, ZC_ERR_OVERSIZE, "larger than the largest transaction");
    //  a NUL would end the hex early: what was decoded would not be what was sent
    if (up->body && memchr (up->body, 0, up->size))
        return s_error (self, c, ZC_ERR_MALFORMED, "the body is not the hex of a transaction");
    //  trim whitespace around the hex
    char *hex = up->body ? up->body : (char *) "";
    while (*hex == ' ' || *hex == '\n' || *hex == '\r' || *hex == '\t')
        hex++;
    size_t len = strlen (hex);
    while (len && (hex [len - 1] == ' ' || hex [len - 1] == '\n' || hex [len - 1] == '\r'
               ||  hex [len - 1] == '\t'))
        hex [--len] = 0;
    size_t size;
    uint8_t *raw = zc_hex_decode_alloc (hex, MAX_POST / 2, &size);
    if (!raw || size == 0) {
        free (raw);
        return s_error (self, c, ZC_ERR_MALFORMED, "the body is not the hex of a transaction");
    }
    Zc__SubmitTxs req = ZC__SUBMIT_TXS__INIT;
    ProtobufCBinaryData txs [1] = { { size, raw } };
    req.n_txs = 1;
    req.txs = txs;
    req.source = (char *) "http";
    const uint8_t *body;
    size_t reply_size;
    const char *detail = NULL;
    zc_err_t rc = s_call (cl->node, ZC__MSG_TYPE__SUBMIT_TXS, &req.base,
                          ZC__MSG_TYPE__SUBMIT_TXS_REPLY, &body, &reply_size, &detail);
    free (raw);
    Zc__SubmitTxsReply *reply = rc == ZC_OK ? zc__submit_txs_reply__unpack (NULL, reply_size, body) : NULL;
    if (!reply || reply->n_results != 1) {
        if (reply)
            zc__submit_txs_reply__free_unpacked (reply, NULL);
        return s_error (self, c, rc == ZC_OK ? ZC_ERR_INTERNAL : rc, detail);
    }
    const Zc__TxResult *r = reply->results [0];
    enum MHD_Result result;
    if (r->reason == ZC_OK && r->txid.len == 32) {
        char txid [65];
        zc_hex_encode (r->txid.data, 32, txid);
        atomic_fetch_add (&self->served, 1);
        result = s_plain (c, MHD_HTTP_OK, txid);
    }
    else
        result = s_error (self, c, r->reason > 0 && r->reason < ZC_ERR_COUNT_ ? (zc_err_t) r->reason
                                                                              : ZC_ERR_INTERNAL,
                          r->detail && *r->detail ? r->detail : NULL);
    zc__submit_txs_reply__free_unpacked (reply, NULL);
    return result;
}

//  Split path (after a prefix) at its slashes into at most max parts,
//  each shorter than size; -1 when a part is too long or there are more
static int
s_split (const char *path, char parts [][ZC_ADDRESS_MAX + 2], int max)
{
    int n = 0;
    while (n < max) {
        const char *slash = strchr (path, '/');
        size_t len = slash ? (size_t) (slash - path) : strlen (path);
        if (len >= ZC_ADDRESS_MAX + 2)
            return -1;
        memcpy (parts [n], path, len);
        parts [n++][len] = 0;
        if (!slash)
            return n;
        path = slash + 1;
    }
    return -1;
}

static enum MHD_Result
s_route_get (http_t *self, struct MHD_Connection *c, s_clients_t *cl, const char *path)
{
    char parts [5][ZC_ADDRESS_MAX + 2];
    int n = s_split (path, parts, 5);
    //  a part too long for any endpoint: as the address or hash it would be
    if (n < 0 && !strncmp (path, "address/", 8))
        return s_error (self, c, ZC_ERR_MALFORMED, "not a valid address");
    if (n < 0)
        return s_error (self, c, ZC_ERR_BAD_REQUEST, "a part of the path is too long");
    const char *what = parts [0];
    if (!strcmp (what, "tip") && n == 1)
        return s_tip (self, c, cl);
    if (!strcmp (what, "blocks") && n <= 2)
        return s_blocks (self, c, cl, n == 2 ? parts [1] : NULL);
    if (!strcmp (what, "block-height") && n == 2)
        return s_block (self, c, cl, parts [1], true, BLOCK_JSON);
    if (!strcmp (what, "block") && n == 2)
        return s_block (self, c, cl, parts [1], false, BLOCK_JSON);
    if (!strcmp (what, "block") && n == 3) {
        s_block_view_t view = !strcmp (parts [2], "header") ? BLOCK_HEADER
                            : !strcmp (parts [2], "raw") ? BLOCK_RAW
                            : !strcmp (parts [2], "txids") ? BLOCK_TXIDS : BLOCK_JSON;
        if (view != BLOCK_JSON)
            return s_block (self, c, cl, parts [1], false, view);
    }
    if (!strcmp (what, "tx") && n == 2)
        return s_tx (self, c, cl, parts [1], TX_JSON);
    if (!strcmp (what, "tx") && n == 3 && !strcmp (parts [2], "hex"))
        return s_tx (self, c, cl, parts [1], TX_HEX);
    if (!strcmp (what, "tx") && n == 3 && !strcmp (parts [2], "status"))
        return s_tx (self, c, cl, parts [1], TX_STATUS);
    if (!strcmp (what, "tx") && n == 4 && !strcmp (parts [2], "outspend"))
        return s_outspend (self, c, cl, parts [1], parts [3]);
    if (!strcmp (what, "address") && n == 2)
        return s_address (self, c, cl, parts [1], false);
    if (!strcmp (what, "address") && n == 3 && !strcmp (parts [2], "utxo"))
        return s_address (self, c, cl, parts [1], true);
    if (!strcmp (what, "address") && n == 3 && !strcmp (parts [2], "txs"))
        return s_address_txs (self, c, cl, parts [1], NULL);
    if (!strcmp (what, "address") && n == 5 && !strcmp (parts [2], "txs")
    &&  !strcmp (parts [3], "chain"))
        return s_address_txs (self, c, cl, parts [1], parts [4]);
    if (!strcmp (what, "mempool") && n == 1)
        return s_mempool (self, c, cl);
    if (!strcmp (what, "mempool") && n == 2 && !strcmp (parts [1], "recent"))
        return s_mempool_recent (self, c, cl);
    if (!strcmp (what, "fee-estimates") && n == 1)
        return s_fee_estimates (self, c, cl);
    return s_error (self, c, ZC_ERR_NOT_FOUND, "no such endpoint");
}

static enum MHD_Result
s_route (http_t *self, struct MHD_Connection *c, const char *url, const char *method,
         s_upload_t *up)
{
    bool get = !strcmp (method, "GET"), post = !strcmp (method, "POST");
    if (strncmp (url, "/api/", 5) != 0) {
        //  the explorer's few files; its pages are hash routes, so any
        //  other path (and any path with "..") is not found
        const zc_asset_t *asset = self->explorer && get ? zc_asset_find (zc_assets_explorer, url)
                                                        : NULL;
        if (asset)
            return zc_asset_send (c, asset);
        return s_error (self, c, ZC_ERR_NOT_FOUND, "no such endpoint");
    }
    const char *path = url + 5;
    s_clients_t *cl = s_take (self);
    enum MHD_Result rc;
    if (get)
        rc = s_route_get (self, c, cl, path);
    else
    if (post && !strcmp (path, "tx"))
        rc = s_post_tx (self, c, cl, up);
    else
        rc = s_error (self, c, ZC_ERR_NOT_FOUND, "no such endpoint");
    s_give (self, cl);
    return rc;
}

static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version;
    http_t *self = cls;
    s_upload_t *up = *con_cls;
    if (!up) {
        //  first call for this request: only headers so far
        up = calloc (1, sizeof *up);
        if (!up)
            return MHD_NO;
        *con_cls = up;
        return MHD_YES;
    }
    if (*upload_data_size) {
        //  bounded: a client may send any amount; we keep at most MAX_POST
        if (up->size + *upload_data_size > MAX_POST)
            up->too_big = true;
        else {
            char *grown = realloc (up->body, up->size + *upload_data_size + 1);
            if (!grown)
                up->too_big = true;
            else {
                up->body = grown;
                memcpy (up->body + up->size, upload_data, *upload_data_size);
                up->size += *upload_data_size;
                up->body [up->size] = 0;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return s_route (self, connection, url, method, up);
}

static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void) cls;
    (void) connection;
    (void) toe;
    s_upload_t *up = *con_cls;
    if (up) {
        free (up->body);
        free (up);
        *con_cls = NULL;
    }
}

http_t *
http_start (const char *listen, const zc_http_limits_t *limits, const char *gateway_api,
            const zc_params_t *params, bool explorer, char *err, size_t err_size)
{
    http_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->params = params;
    self->explorer = explorer;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->free_cond, NULL);
    for (int i = 0; i < HTTP_THREADS; i++) {
        self->clients [i].node = zc_client_new (gateway_api, err, err_size);
        if (!self->clients [i].node) {
            self->n_clients = i + 1;
            http_stop (&self);
            return NULL;
        }
        //  a stop must not wait for calls to a node that does not answer
        zc_client_set_cancel (self->clients [i].node, &self->stopping);
        self->n_clients = i + 1;
    }
    self->server = zc_http_start (listen, HTTP_THREADS, limits, s_handler, self, s_completed, err,
                                  err_size);
    if (!self->server) {
        http_stop (&self);
        return NULL;
    }
    return self;
}

void
http_stop (http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    http_t *self = *self_p;
    atomic_store (&self->stopping, true);
    zc_http_stop (&self->server);
    for (int i = 0; i < self->n_clients; i++) {
        zc_client_destroy (&self->clients [i].node);
    }
    pthread_mutex_destroy (&self->lock);
    pthread_cond_destroy (&self->free_cond);
    free (self);
    *self_p = NULL;
}

void
http_counts (http_t *self, uint64_t *served, uint64_t *errors)
{
    zc_http_stats_t stats;
    zc_http_stats (self->server, &stats);
    *served = atomic_load (&self->served);
    //  a request refused for its framing was answered 400 too
    *errors = atomic_load (&self->errors) + stats.malformed;
}

void
http_report (http_t *self, zc_metrics_t *metrics)
{
    zc_http_stats_t stats;
    zc_http_stats (self->server, &stats);
    zc_metric_set (zc_metrics_counter (metrics, "zchain_http_refused_total",
                                       "HTTP connections refused at a limit", "reason", "per_address"),
                   (double) stats.refused_per_address);
    zc_metric_set (zc_metrics_counter (metrics, "zchain_http_refused_total",
                                       "HTTP connections refused at a limit", "reason",
                                       "max_connections"),
                   (double) stats.refused_max);
    zc_metric_set (zc_metrics_counter (metrics, "zchain_http_deadline_closed_total",
                                       "HTTP connections closed without a whole request in time",
                                       NULL, NULL),
                   (double) stats.deadline);
    zc_metric_set (zc_metrics_counter (metrics, "zchain_http_malformed_total",
                                       "HTTP requests answered 400 for their framing", NULL, NULL),
                   (double) stats.malformed);
}
