/*  cmd_fee.c - zchain estimatefee | zchain bumpfee TXID */
#include "cli.h"
#include "node.h"
#include "spend.h"
#include "wallet_open.h"
#include "wallet_view.h"
#include "zc_amount.h"
#include "zc_check.h"
#include "zc_fee.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int
cmd_estimatefee (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        printf ("usage: zchain estimatefee [--json]\n"
                "The fee rate (base units per 1000 bytes) a payment needs to confirm within 1,\n"
                "3, 6 and 12 blocks: from the mempool's depth and the fee rates of the last 12\n"
                "blocks (docs/architecture.md), never under the minimum relay fee. The same\n"
                "numbers as GET /api/fee-estimates.\n");
        return 0;
    }
    if (argc > 1)
        cli_die (CLI_EXIT_USAGE, "estimatefee takes no arguments");
    static const uint32_t targets [] = { 1, 3, 6, 12 };
    enum { N = sizeof targets / sizeof targets [0] };
    uint64_t rates [N], min_rate;
    zc_client_t *client = node_connect (cli);
    wallet_fee_estimates (client, targets, N, rates, &min_rate);
    zc_client_destroy (&client);
    if (cli->json) {
        for (int i = 0; i < N; i++)
            printf ("%s\"%u\":%llu", i ? "," : "{", targets [i], (unsigned long long) rates [i]);
        printf (",\"min_relay\":%llu}\n", (unsigned long long) min_rate);
    }
    else {
        for (int i = 0; i < N; i++)
            printf ("%2u block%s  %llu units per 1000 bytes\n", targets [i], targets [i] > 1 ? "s" : " ",
                    (unsigned long long) rates [i]);
        printf ("minimum relay fee: %llu\n", (unsigned long long) min_rate);
    }
    return 0;
}

//  The payment of the wallet with txid, or NULL
static const view_tx_t *
s_find (const wallet_view_t *view, const zc_hash_t *txid)
{
    for (size_t i = 0; i < view->n_txs; i++)
        if (zc_hash_eq (&view->txs [i].wtx->txid, txid))
            return &view->txs [i];
    return NULL;
}

int
cmd_bumpfee (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        printf ("usage: zchain bumpfee TXID [--fee-rate R] [--json]\n"
                "Replace an unconfirmed payment of the wallet by the same payment at a higher\n"
                "fee rate (replace-by-fee): the extra fee comes out of its change. The new rate\n"
                "is R, or the node's estimate for the next block, and at least what the\n"
                "replacement rules ask: more than the old rate and the old fee plus the\n"
                "minimum relay fee for the new size. Prints the new txid.\n");
        return 0;
    }
    uint64_t rate = 0;
    const char *txid_hex = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv [i], "--fee-rate") && i + 1 < argc) {
            char *end;
            unsigned long long r = strtoull (argv [++i], &end, 10);
            if (*end || r == 0 || r > 100000000ULL)
                cli_die (CLI_EXIT_USAGE, "--fee-rate: '%s' is not a number of units per 1000 bytes", argv [i]);
            rate = r;
        }
        else
        if (!txid_hex && argv [i] [0] != '-')
            txid_hex = argv [i];
        else
            cli_die (CLI_EXIT_USAGE, "unexpected argument '%s' (usage: zchain bumpfee TXID)", argv [i]);
    }
    zc_hash_t txid;
    if (!txid_hex || zc_hash_from_hex (txid_hex, &txid))
        cli_die (CLI_EXIT_USAGE, "usage: zchain bumpfee TXID (64 hex digits)");
    zc_wallet_t *wallet = wallet_open (cli, true);
    if (zc_wallet_format (wallet) != 2)
        cli_die (CLI_EXIT_FAIL, "%s is a key file, which keeps no payments to bump", cli->wallet);
    zc_client_t *client = node_connect (cli);
    wallet_view_t view;
    wallet_view (client, wallet, cli->params, &view);
    const view_tx_t *old = s_find (&view, &txid);
    if (!old)
        cli_die (CLI_EXIT_FAIL, "%s is not a payment of this wallet", txid_hex);
    if (old->status != VIEW_PENDING)
        cli_die (CLI_EXIT_FAIL, "%s is %s: nothing to bump", txid_hex,
                 old->status == VIEW_CONFIRMED ? "confirmed already" : "not in the node's mempool (replaced?)");
    //  the coins it spends, from the node
    zc_tx_t *tx = zc_tx_dup (old->tx);
    zc_coin_t *spent = calloc (tx->n_in, sizeof *spent);
    spend_coin_t *inputs = calloc (tx->n_in, sizeof *inputs);
    if (!tx || !spent || !inputs)
        cli_die (CLI_EXIT_FAIL, "out of memory");
    uint32_t height, confirmations;
    bool have = false;
    wallet_tx_status (client, &txid, &height, &confirmations, spent, tx->n_in, &have);
    if (!have)
        cli_die (CLI_EXIT_FAIL, "the node does not say which coins %s spends", txid_hex);
    uint64_t in_total = 0, out_total = 0;
    for (uint32_t i = 0; i < tx->n_in; i++) {
        inputs [i].outpoint = tx->in [i].prevout;
        inputs [i].coin = spent [i];
        in_total += spent [i].amount;
    }
    int change = -1;
    for (uint32_t o = 0; o < tx->n_out; o++) {
        out_total += tx->out [o].amount;
        int k = zc_wallet_find (wallet, tx->out [o].pubkey);
        if (k >= 0 && zc_wallet_chain (wallet, (size_t) k) == ZC_WALLET_CHAIN_CHANGE)
            change = (int) o;
    }
    if (change < 0)
        cli_die (CLI_EXIT_FAIL, "%s has no change to pay a higher fee from", txid_hex);
    uint64_t old_fee = in_total - out_total;
    uint64_t min_rate, next_block;
    const uint32_t target = 1;
    wallet_fee_estimates (client, &target, 1, &next_block, &min_rate);
    uint64_t old_rate = old_fee * 1000 / old->tx->size;
    if (!rate)
        rate = next_block > old_rate ? next_block : old_rate + min_rate;
    if (rate <= old_rate)
        cli_die (CLI_EXIT_FAIL, "%llu units per 1000 bytes is not more than the payment's %llu",
                 (unsigned long long) rate, (unsigned long long) old_rate);
    //  the same size: the same inputs and outputs, other amounts
    uint64_t fee = spend_fee (rate, old->tx->size);
    uint64_t floor = old_fee + spend_fee (min_rate, old->tx->size);
    if (fee < floor)
        fee = floor;
    uint64_t extra = fee - old_fee;
    if (tx->out [change].amount < extra + ZC_DUST_THRESHOLD_DEFAULT)
        cli_die (CLI_EXIT_FAIL, "the change of %s (%llu units) cannot pay %llu more in fees",
                 txid_hex, (unsigned long long) tx->out [change].amount, (unsigned long long) extra);
    tx->out [change].amount -= extra;
    char err [512];
    zc_tx_t *bumped = spend_sign (inputs, tx->n_in, tx->out, tx->n_out, wallet, cli->params, err, sizeof err);
    if (!bumped)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    const char *detail = NULL;
    zc_err_t rc = spend_submit (client, bumped, &detail);
    if (rc != ZC_OK)
        cli_die (CLI_EXIT_FAIL, "refused: %s%s%s", zc_err_name (rc), detail ? ": " : "", detail ? detail : "");
    size_t size;
    uint8_t *raw = zc_tx_encode (bumped, &size);
    if (!raw || zc_wallet_add_tx (wallet, &bumped->txid, raw, size, fee, (int64_t) time (NULL), err, sizeof err))
        fprintf (stderr, "zchain: warning: sent, but the wallet could not keep it: %s\n", raw ? err : "out of memory");
    free (raw);
    char hex [65], a [ZC_AMOUNT_STR_MAX], b [ZC_AMOUNT_STR_MAX];
    zc_hash_hex (&bumped->txid, hex);
    if (cli->json)
        printf ("{\"txid\":\"%s\",\"replaces\":\"%s\",\"fee\":%llu,\"old_fee\":%llu,\"fee_rate\":%llu}\n",
                hex, txid_hex, (unsigned long long) fee, (unsigned long long) old_fee, (unsigned long long) rate);
    else {
        fprintf (stderr, "fee %s -> %s (%llu units per 1000 bytes)\n", zc_amount_format (old_fee, a),
                 zc_amount_format (fee, b), (unsigned long long) rate);
        printf ("%s\n", hex);
    }
    zc_tx_destroy (&bumped);
    zc_tx_destroy (&tx);
    free (spent);
    free (inputs);
    wallet_view_free (&view);
    zc_wallet_destroy (&wallet);
    zc_client_destroy (&client);
    return 0;
}
