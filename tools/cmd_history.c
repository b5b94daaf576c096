/*  cmd_history.c - zchain history: the wallet's payments, newest first */
#include "cli.h"
#include "node.h"
#include "wallet_open.h"
#include "wallet_view.h"
#include "zc_amount.h"
#include "envelope.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HISTORY_PAGE 25              //  the most one GET_ADDRESS_TXS answers
#define HISTORY_MAX_PER_KEY 1000

typedef struct {
    zc_hash_t txid;
    int64_t received;                   //  to the wallet's keys
    int64_t sent;                       //  from them (what its inputs spent)
    uint64_t fee;
    bool fee_known;
    view_status_t status;
    uint32_t height;
    uint32_t confirmations;
    int64_t time;
} s_entry_t;

typedef struct {
    s_entry_t *items;
    size_t n;
} s_history_t;

static s_entry_t *
s_entry (s_history_t *h, const zc_hash_t *txid)
{
    for (size_t i = 0; i < h->n; i++)
        if (zc_hash_eq (&h->items [i].txid, txid))
            return NULL;                //  counted already
    s_entry_t *grown = realloc (h->items, (h->n + 1) * sizeof *grown);
    if (!grown)
        cli_die (CLI_EXIT_FAIL, "out of memory");
    h->items = grown;
    s_entry_t *e = &h->items [h->n++];
    memset (e, 0, sizeof *e);
    e->txid = *txid;
    return e;
}

//  What tx moves in and out of the wallet (prevouts: the coins it spends,
//  NULL when unknown)
static void
s_amounts (const zc_wallet_t *wallet, const zc_tx_t *tx, Zc__Coin **prevouts, size_t n_prev,
           s_entry_t *e)
{
    for (uint32_t o = 0; o < tx->n_out; o++)
        if (zc_wallet_find (wallet, tx->out [o].pubkey) >= 0)
            e->received += (int64_t) tx->out [o].amount;
    for (size_t i = 0; prevouts && i < n_prev; i++)
        if (prevouts [i] && prevouts [i]->pubkey.len == 32
        &&  zc_wallet_find (wallet, prevouts [i]->pubkey.data) >= 0)
            e->sent += (int64_t) prevouts [i]->amount;
}

//  The chain's transactions of one key, page by page
static void
s_key_history (zc_client_t *client, const zc_wallet_t *wallet, const uint8_t pubkey [32], s_history_t *h)
{
    uint8_t after [32];
    bool paging = false;
    for (size_t seen = 0; seen < HISTORY_MAX_PER_KEY; ) {
        Zc__GetAddressTxs req = ZC__GET_ADDRESS_TXS__INIT;
        req.pubkey.data = (uint8_t *) pubkey;
        req.pubkey.len = 32;
        req.max = HISTORY_PAGE;
        req.chain = true;
        if (paging) {
            req.after_txid.data = after;
            req.after_txid.len = 32;
        }
        size_t size;
        const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_ADDRESS_TXS, &req.base,
                                         ZC__MSG_TYPE__ADDRESS_TXS_REPLY, &size);
        Zc__AddressTxsReply *r = zc__address_txs_reply__unpack (NULL, size, body);
        if (!r)
            cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
        size_t n = r->n_txs;
        for (size_t i = 0; i < n; i++) {
            const Zc__TxReply *t = r->txs [i];
            zc_tx_t *tx = NULL;
            if (t->txid.len != 32 || zc_tx_decode (t->raw.data, t->raw.len, &tx) != ZC_OK)
                continue;
            memcpy (after, t->txid.data, 32);
            s_entry_t *e = s_entry (h, &tx->txid);
            if (e) {
                s_amounts (wallet, tx, t->prevouts, t->n_prevouts, e);
                e->status = t->confirmed ? VIEW_CONFIRMED : VIEW_PENDING;
                e->height = t->height;
                e->confirmations = t->confirmations;
                e->time = t->block_time;
                e->fee = t->fee;
                e->fee_known = t->fee_known;
            }
            zc_tx_destroy (&tx);
        }
        zc__address_txs_reply__free_unpacked (r, NULL);
        seen += n;
        paging = true;
        if (n < HISTORY_PAGE)
            break;
    }
}

static int
s_newest_first (const void *a, const void *b)
{
    const s_entry_t *x = a, *y = b;
    //  unconfirmed first, then by height, highest first
    uint64_t hx = x->status == VIEW_CONFIRMED ? x->height : UINT32_MAX;
    uint64_t hy = y->status == VIEW_CONFIRMED ? y->height : UINT32_MAX;
    if (hx != hy)
        return hx < hy ? 1 : -1;
    return x->time < y->time ? 1 : x->time > y->time ? -1 : 0;
}

int
cmd_history (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        printf ("usage: zchain history [--json]\n"
                "The wallet's transactions, newest first: what each moved in or out of the\n"
                "wallet, its fee when the wallet paid it, and where it is now (confirmations,\n"
                "unconfirmed, or dropped: replaced, or in conflict with one that confirmed).\n"
                "Received payments show once they confirm; the wallet's own payments at once.\n");
        return 0;
    }
    if (argc > 1)
        cli_die (CLI_EXIT_USAGE, "history takes no arguments");
    zc_wallet_t *wallet = wallet_open (cli, false);
    zc_client_t *client = node_connect (cli);
    s_history_t h = { NULL, 0 };
    //  the wallet's own payments: their state now
    wallet_view_t view;
    wallet_view (client, wallet, cli->params, &view);
    for (size_t i = 0; i < view.n_txs; i++) {
        const view_tx_t *v = &view.txs [i];
        if (v->status == VIEW_CONFIRMED)
            continue;                   //  the chain's history has it, with its amounts
        s_entry_t *e = s_entry (&h, &v->wtx->txid);
        s_amounts (wallet, v->tx, NULL, 0, e);
        //  what it spent: the payment's inputs less its change, from its fee
        uint64_t out_total = 0;
        for (uint32_t o = 0; o < v->tx->n_out; o++)
            out_total += v->tx->out [o].amount;
        e->sent = (int64_t) (out_total + v->wtx->fee);
        e->fee = v->wtx->fee;
        e->fee_known = true;
        e->status = v->status;
        e->time = v->wtx->time;
    }
    //  and every key the wallet has handed out, in the chain
    bool hd = zc_wallet_format (wallet) == 2;
    for (size_t k = 0; k < zc_wallet_count (wallet); k++) {
        int chain = zc_wallet_chain (wallet, k);
        if (hd && chain >= 0 && zc_wallet_index (wallet, k) >= zc_wallet_next_index (wallet, chain))
            continue;
        s_key_history (client, wallet, zc_wallet_pubkey (wallet, k), &h);
    }
    qsort (h.items, h.n, sizeof *h.items, s_newest_first);
    static const char *states [] = { "confirmed", "unconfirmed", "dropped" };
    if (cli->json)
        printf ("[");
    for (size_t i = 0; i < h.n; i++) {
        const s_entry_t *e = &h.items [i];
        char txid [65], a [ZC_AMOUNT_STR_MAX + 1], f [ZC_AMOUNT_STR_MAX];
        zc_hash_hex (&e->txid, txid);
        int64_t net = e->received - e->sent;
        bool paid = e->sent > 0;
        if (cli->json) {
            printf ("%s{\"txid\":\"%s\",\"amount\":%lld,\"status\":\"%s\",\"height\":%u,\"confirmations\":%u,"
                    "\"time\":%lld", i ? "," : "", txid, (long long) net, states [e->status],
                    e->status == VIEW_CONFIRMED ? e->height : 0, e->confirmations, (long long) e->time);
            if (paid && e->fee_known)
                printf (",\"fee\":%llu", (unsigned long long) e->fee);
            printf ("}");
        }
        else {
            a [0] = net < 0 ? '-' : '+';
            zc_amount_format ((uint64_t) (net < 0 ? -net : net), a + 1);
            char where [64];
            if (e->status == VIEW_CONFIRMED)
                snprintf (where, sizeof where, "%u confirmations", e->confirmations);
            else
                snprintf (where, sizeof where, "%s", states [e->status]);
            printf ("%s  %16s  %s", txid, a, where);
            if (paid && e->fee_known)
                printf ("  fee %s", zc_amount_format (e->fee, f));
            printf ("\n");
        }
    }
    if (cli->json)
        printf ("]\n");
    free (h.items);
    wallet_view_free (&view);
    zc_wallet_destroy (&wallet);
    zc_client_destroy (&client);
    return 0;
}
