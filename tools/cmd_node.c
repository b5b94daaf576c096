/*  cmd_node.c - zchain status | tx TXID | block HEIGHT|HASH | mempool | watch */
#include "cli.h"
#include "node.h"
#include "zc_amount.h"
#include "zc_bech32.h"
#include "zc_block.h"
#include "zc_hex.h"
#include "zc_pow.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "events.pb-c.h"
#include "gateway.pb-c.h"
#include "mempool.pb-c.h"
#include "storage.pb-c.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void
s_no_args (int argc, char **argv, const char *usage)
{
    if (cli_wants_help (argc, argv)) {
        printf ("usage: %s\n", usage);
        exit (0);
    }
    if (argc > 1)
        cli_die (CLI_EXIT_USAGE, "unexpected argument '%s' (usage: %s)", argv [1], usage);
}

int
cmd_status (cli_t *cli, int argc, char **argv)
{
    s_no_args (argc, argv, "zchain status [--json]   height, tip and mempool of the node");
    zc_client_t *client = node_connect (cli);
    Zc__GetStatus req = ZC__GET_STATUS__INIT;
    size_t size;
    const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_STATUS, &req.base,
                                     ZC__MSG_TYPE__STATUS_REPLY, &size);
    Zc__StatusReply *st = zc__status_reply__unpack (NULL, size, body);
    if (!st || st->tip.len != 32)
        cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
    char tip [65];
    zc_hex_encode (st->tip.data, 32, tip);
    if (cli->json)
        printf ("{\"height\":%u,\"tip\":\"%s\",\"mempool_txs\":%llu,\"mempool_bytes\":%llu,"
                "\"network\":\"%s\",\"tip_time\":%llu,\"peers\":%u}\n", st->height, tip,
                (unsigned long long) st->mempool_txs, (unsigned long long) st->mempool_bytes,
                st->network, (unsigned long long) st->tip_time, st->peers);
    else
        printf ("network  %s\nheight   %u\ntip      %s\nmempool  %llu transactions, %llu bytes\n"
                "peers    %u\n", st->network, st->height, tip, (unsigned long long) st->mempool_txs,
                (unsigned long long) st->mempool_bytes, st->peers);
    zc__status_reply__free_unpacked (st, NULL);
    zc_client_destroy (&client);
    return 0;
}

static void
s_print_tx (cli_t *cli, const zc_tx_t *tx, const Zc__TxReply *r)
{
    char hex [65], address [ZC_ADDRESS_MAX], amount [ZC_AMOUNT_STR_MAX];
    if (cli->json) {
        printf ("{\"txid\":\"%s\",\"size\":%u,\"confirmed\":%s", zc_hash_hex (&tx->txid, hex), tx->size,
                r->confirmed ? "true" : "false");
        if (r->confirmed)
            printf (",\"block_height\":%u,\"confirmations\":%u", r->height, r->confirmations);
        else
            printf (",\"fee\":%llu", (unsigned long long) r->fee);
        printf (",\"vin\":[");
        for (uint32_t i = 0; i < tx->n_in; i++)
            printf ("%s{\"txid\":\"%s\",\"vout\":%u}", i ? "," : "",
                    zc_hash_hex (&tx->in [i].prevout.txid, hex), tx->in [i].prevout.index);
        printf ("],\"vout\":[");
        for (uint32_t o = 0; o < tx->n_out; o++) {
            bool known = zc_address_encode (tx->out [o].pubkey, cli->params->hrp, address) == 0;
            printf ("%s{\"value\":%llu,\"address\":%s%s%s}", o ? "," : "",
                    (unsigned long long) tx->out [o].amount, known ? "\"" : "", known ? address : "null",
                    known ? "\"" : "");
        }
        printf ("]}\n");
        return;
    }
    printf ("txid     %s\nsize     %u bytes\n", zc_hash_hex (&tx->txid, hex), tx->size);
    if (r->confirmed)
        printf ("status   confirmed at height %u (%u confirmations)\n", r->height, r->confirmations);
    else
        printf ("status   in the mempool, fee %s\n", zc_amount_format (r->fee, amount));
    for (uint32_t i = 0; i < tx->n_in; i++)
        printf ("in  %u    %s:%u\n", i, zc_hash_hex (&tx->in [i].prevout.txid, hex), tx->in [i].prevout.index);
    for (uint32_t o = 0; o < tx->n_out; o++) {
        if (zc_address_encode (tx->out [o].pubkey, cli->params->hrp, address))
            snprintf (address, sizeof address, "(a key that is not a point: no address)");
        printf ("out %u    %s  %s\n", o, zc_amount_format (tx->out [o].amount, amount), address);
    }
}

int
cmd_tx (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        printf ("usage: zchain tx TXID [--json]   a transaction, confirmed or in the mempool\n");
        return 0;
    }
    if (argc != 2)
        cli_die (CLI_EXIT_USAGE, "usage: zchain tx TXID");
    zc_hash_t txid;
    if (zc_hash_from_hex (argv [1], &txid))
        cli_die (CLI_EXIT_USAGE, "'%s' is not a txid (64 hex digits)", argv [1]);
    zc_client_t *client = node_connect (cli);
    Zc__GetTx req = ZC__GET_TX__INIT;
    req.txid.data = txid.b;
    req.txid.len = 32;
    size_t size;
    const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_TX, &req.base, ZC__MSG_TYPE__TX_REPLY, &size);
    Zc__TxReply *r = zc__tx_reply__unpack (NULL, size, body);
    zc_tx_t *tx = NULL;
    if (!r || zc_tx_decode (r->raw.data, r->raw.len, &tx) != ZC_OK)
        cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
    s_print_tx (cli, tx, r);
    zc_tx_destroy (&tx);
    zc__tx_reply__free_unpacked (r, NULL);
    zc_client_destroy (&client);
    return 0;
}

int
cmd_block (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        printf ("usage: zchain block HEIGHT|HASH [--json]   a block of the chain\n");
        return 0;
    }
    if (argc != 2)
        cli_die (CLI_EXIT_USAGE, "usage: zchain block HEIGHT|HASH");
    Zc__GetBlock req = ZC__GET_BLOCK__INIT;
    zc_hash_t hash;
    if (strlen (argv [1]) == 64) {
        if (zc_hash_from_hex (argv [1], &hash))
            cli_die (CLI_EXIT_USAGE, "'%s' is not a block hash", argv [1]);
        req.hash.data = hash.b;
        req.hash.len = 32;
    }
    else {
        char *end;
        unsigned long h = strtoul (argv [1], &end, 10);
        if (!*argv [1] || *end || h > UINT32_MAX)
            cli_die (CLI_EXIT_USAGE, "'%s' is neither a height nor a block hash", argv [1]);
        req.by_height = true;
        req.height = (uint32_t) h;
    }
    zc_client_t *client = node_connect (cli);
    size_t size;
    const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_BLOCK, &req.base,
                                     ZC__MSG_TYPE__BLOCK_REPLY, &size);
    Zc__BlockReply *r = zc__block_reply__unpack (NULL, size, body);
    zc_block_t *block = NULL;
    if (!r || zc_block_decode (r->raw.data, r->raw.len, &block) != ZC_OK)
        cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
    char hex [65];
    if (cli->json) {
        printf ("{\"hash\":\"%s\",\"height\":%u,", zc_hash_hex (&block->hash, hex), r->height);
        printf ("\"prev\":\"%s\",\"time\":%u,\"bits\":%u,\"nonce\":%u,\"size\":%zu,"
                "\"in_best_chain\":%s,\"confirmations\":%u,\"txids\":[",
                zc_hash_hex (&block->header.prev, hex), block->header.time, block->header.bits,
                block->header.nonce, block->size, r->in_best_chain ? "true" : "false", r->confirmations);
        for (uint32_t i = 0; i < block->n_tx; i++)
            printf ("%s\"%s\"", i ? "," : "", zc_hash_hex (&block->tx [i]->txid, hex));
        printf ("]}\n");
    }
    else {
        printf ("hash     %s\nheight   %u%s\n", zc_hash_hex (&block->hash, hex), r->height,
                r->in_best_chain ? "" : " (side branch)");
        printf ("prev     %s\ntime     %u\nbits     %08x\nnonce    %u\nsize     %zu bytes\n",
                zc_hash_hex (&block->header.prev, hex), block->header.time, block->header.bits,
                block->header.nonce, block->size);
        printf ("txs      %u\n", block->n_tx);
        for (uint32_t i = 0; i < block->n_tx && i < 20; i++)
            printf ("  %s\n", zc_hash_hex (&block->tx [i]->txid, hex));
        if (block->n_tx > 20)
            printf ("  ... and %u more (--json lists all)\n", block->n_tx - 20);
    }
    zc_block_destroy (&block);
    zc__block_reply__free_unpacked (r, NULL);
    zc_client_destroy (&client);
    return 0;
}

int
cmd_mempool (cli_t *cli, int argc, char **argv)
{
    s_no_args (argc, argv, "zchain mempool [--json]   what waits to be confirmed");
    zc_client_t *client = node_connect (cli);
    Zc__GetMempool req = ZC__GET_MEMPOOL__INIT;
    req.max_entries = cli->json ? 1000 : 20;
    size_t size;
    const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_MEMPOOL, &req.base,
                                     ZC__MSG_TYPE__MEMPOOL_REPLY, &size);
    Zc__MempoolReply *m = zc__mempool_reply__unpack (NULL, size, body);
    if (!m)
        cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
    char hex [65];
    if (cli->json) {
        printf ("{\"count\":%llu,\"bytes\":%llu,\"min_fee_rate\":%llu,\"txs\":[",
                (unsigned long long) m->count, (unsigned long long) m->bytes,
                (unsigned long long) m->min_fee_rate);
        for (size_t i = 0; i < m->n_entries; i++)
            printf ("%s{\"txid\":\"%s\",\"size\":%u,\"fee\":%llu}", i ? "," : "",
                    zc_hex_encode (m->entries [i]->txid.data, 32, hex), m->entries [i]->size,
                    (unsigned long long) m->entries [i]->fee);
        printf ("]}\n");
    }
    else {
        printf ("%llu transactions, %llu bytes; minimum fee rate %llu units/kB\n",
                (unsigned long long) m->count, (unsigned long long) m->bytes,
                (unsigned long long) m->min_fee_rate);
        for (size_t i = 0; i < m->n_entries; i++)
            printf ("  %s  %u bytes  fee %llu\n", zc_hex_encode (m->entries [i]->txid.data, 32, hex),
                    m->entries [i]->size, (unsigned long long) m->entries [i]->fee);
    }
    zc__mempool_reply__free_unpacked (m, NULL);
    zc_client_destroy (&client);
    return 0;
}

static volatile sig_atomic_t s_watch_stop;

static void
s_watch_signal (int sig)
{
    (void) sig;
    s_watch_stop = 1;
}

int
cmd_watch (cli_t *cli, int argc, char **argv)
{
    const char *endpoint = NULL;
    char own [NODE_ENDPOINT_MAX];
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv [i], "--help") || !strcmp (argv [i], "-h")) {
            printf ("usage: zchain watch [--notify ENDPOINT] [--json]\n"
                    "Follow the node's notifications: blocks connected and disconnected,\n"
                    "transactions accepted and removed (with the reason), one per line.\n");
            return 0;
        }
        if (!strcmp (argv [i], "--notify") && i + 1 < argc)
            endpoint = argv [++i];
        else
            cli_die (CLI_EXIT_USAGE, "unexpected argument '%s'", argv [i]);
    }
    if (!endpoint) {
        node_notify_endpoint (cli, own);
        endpoint = own;
    }
    zsock_t *sub = node_subscribe (cli, endpoint, 100000);
    signal (SIGINT, s_watch_signal);
    signal (SIGTERM, s_watch_signal);
    static const char *reasons [] = { "", "confirmed", "conflict", "expired", "evicted",
                                      "replaced", "reorg" };
    while (!s_watch_stop) {
        zmq_pollitem_t item = { zsock_resolve (sub), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 200) <= 0)
            continue;
        zc_frames_t frames;
        if (zc_frames_recv (sub, &frames, ZMQ_DONTWAIT))
            continue;
        zc_env_t env;
        if (frames.count != 2 || zc_frames_envelope (&frames, &env) != ZC_OK) {
            zc_frames_close (&frames);
            continue;
        }
        char topic [32], hex [65];
        snprintf (topic, sizeof topic, "%.*s", (int) zc_frame_size (&frames, 0),
                  (const char *) zc_frame_data (&frames, 0));
        if (env.type == ZC__MSG_TYPE__CHAIN_EVENT) {
            Zc__ChainEvent *ev = zc__chain_event__unpack (NULL, env.body_size, env.body);
            if (ev && ev->hash.len == 32) {
                zc_hex_encode (ev->hash.data, 32, hex);
                if (cli->json)
                    printf ("{\"topic\":\"%s\",\"seq\":%llu,\"height\":%u,\"hash\":\"%s\",\"txs\":%zu,"
                            "\"time_ms\":%lld}\n",
                            topic, (unsigned long long) env.seq, ev->height, hex, ev->n_txids,
                            (long long) zc_now_ms ());
                else
                    printf ("%s #%llu  height %u  %s  %zu txs\n", topic, (unsigned long long) env.seq,
                            ev->height, hex, ev->n_txids);
            }
            if (ev)
                zc__chain_event__free_unpacked (ev, NULL);
        }
        else
        if (env.type == ZC__MSG_TYPE__TX_EVENTS) {
            Zc__TxEvents *evs = zc__tx_events__unpack (NULL, env.body_size, env.body);
            for (size_t i = 0; evs && i < evs->n_events; i++) {
                const Zc__TxEvent *e = evs->events [i];
                if (e->txid.len != 32)
                    continue;
                zc_hex_encode (e->txid.data, 32, hex);
                const char *why = e->reason < 7 ? reasons [e->reason] : "";
                if (cli->json)
                    printf ("{\"topic\":\"%s\",\"seq\":%llu,\"txid\":\"%s\",\"fee\":%llu,\"reason\":\"%s\","
                            "\"time_ms\":%lld}\n", topic, (unsigned long long) env.seq, hex,
                            (unsigned long long) e->fee, why, (long long) zc_now_ms ());
                else
                    printf ("%s #%llu  %s  fee %llu%s%s\n", topic, (unsigned long long) env.seq, hex,
                            (unsigned long long) e->fee, *why ? "  " : "", why);
            }
            if (evs)
                zc__tx_events__free_unpacked (evs, NULL);
        }
        fflush (stdout);
        zc_frames_close (&frames);
    }
    zsock_destroy (&sub);
    return 0;
}
