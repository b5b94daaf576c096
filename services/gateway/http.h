/*  http.h - the gateway's HTTP JSON api (libmicrohttpd), shaped like Esplora
 *
 *      GET  /api/tip                     {"height","hash","time","mempool_txs",...}
 *      GET  /api/block/HASH              a block with its txids
 *      GET  /api/block-height/N          the hash of the best chain's block N (text)
 *      GET  /api/tx/TXID                 a transaction, confirmed or in the mempool
 *      GET  /api/address/ADDR            balance
 *      GET  /api/address/ADDR/utxo       unspent outputs
 *      GET  /api/mempool                 count, bytes, minimum fee rate
 *      POST /api/tx                      hex of a transaction -> its txid (text)
 *      GET  /  (and its files)           the block explorer (web/explorer), unless off
 *
 *  Errors are JSON {"error": reason name, "code": reason number, "detail"}
 *  with 400 (bad request or transaction), 404 (not found), 503 (busy or
 *  the node is not answering), 500 (internal). Requests are served by a
 *  small pool of threads, each call to storage or the mempool through a
 *  pooled request client.
 */
#ifndef GATEWAY_HTTP_H_INCLUDED
#define GATEWAY_HTTP_H_INCLUDED

#include "zc_auth.h"
#include "zc_http.h"
#include "zc_metrics.h"
#include "zc_params.h"

typedef struct _http_t http_t;

//  Serve on listen ("127.0.0.1:7780") within limits (zc_http.h; NULL: its
//  defaults), a thin translator onto the gateway actor's client api at
//  gateway_api (an inproc endpoint of the actor's own api socket): every
//  request meets the api's per-client bounds, deadlines and metrics, and
//  the api routes it to storage or the mempool. explorer: also serve the
//  block explorer's files outside /api/. NULL and a reason in err on
//  failure.
http_t *
    http_start (const char *listen, const zc_http_limits_t *limits, const char *gateway_api,
                const zc_params_t *params, bool explorer, char *err, size_t err_size);

void
    http_stop (http_t **self_p);

//  Requests served and refused so far (for metrics; read from any thread)
void
    http_counts (http_t *self, uint64_t *served, uint64_t *errors);

//  Set the server's own counts in metrics (registered on first use):
//  zchain_http_refused_total{reason}, zchain_http_deadline_closed_total,
//  zchain_http_malformed_total. From the thread that owns metrics.
void
    http_report (http_t *self, zc_metrics_t *metrics);

#endif
