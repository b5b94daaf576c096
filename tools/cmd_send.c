/*  cmd_send.c - zchain balance [ADDRESS] | zchain send ADDRESS AMOUNT [--fee-rate R] */
#include "cli.h"
#include "node.h"
#include "spend.h"
#include "zc_amount.h"
#include "zc_bech32.h"
#include "envelope.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_FEE_RATE 2000           //  units per 1000 bytes: twice the relay minimum

static void
s_balance_of (zc_client_t *client, const uint8_t pubkey [32], uint64_t *balance,
              uint64_t *immature, uint64_t *count)
{
    Zc__GetAddress req = ZC__GET_ADDRESS__INIT;
    req.pubkey.data = (uint8_t *) pubkey;
    req.pubkey.len = 32;
    size_t size;
    const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_ADDRESS, &req.base,
                                     ZC__MSG_TYPE__ADDRESS_REPLY, &size);
    Zc__AddressReply *r = zc__address_reply__unpack (NULL, size, body);
    if (!r)
        cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
    *balance += r->balance;
    *immature += r->immature;
    *count += r->utxo_count;
    zc__address_reply__free_unpacked (r, NULL);
}

int
cmd_balance (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        printf ("usage: zchain balance [ADDRESS] [--json]\n"
                "The confirmed balance of ADDRESS, or of every key in the wallet.\n"
                "JSON amounts are base units (1 coin = 100000000).\n");
        return 0;
    }
    if (argc > 2)
        cli_die (CLI_EXIT_USAGE, "usage: zchain balance [ADDRESS]");
    zc_client_t *client = node_connect (cli);
    uint64_t balance = 0, immature = 0, count = 0;
    if (argc == 2) {
        uint8_t pubkey [32];
        zc_err_t rc = zc_address_decode (argv [1], cli->params->hrp, pubkey);
        if (rc != ZC_OK)
            cli_die (CLI_EXIT_USAGE, "'%s' is %s", argv [1], rc == ZC_ERR_WRONG_NETWORK
                     ? "an address of another network" : "not a valid address");
        s_balance_of (client, pubkey, &balance, &immature, &count);
    }
    else {
        char err [512];
        zc_wallet_t *wallet = zc_wallet_load (cli->wallet, err, sizeof err);
        if (!wallet)
            cli_die (CLI_EXIT_FAIL, "%s", err);
        for (size_t k = 0; k < zc_wallet_count (wallet); k++)
            s_balance_of (client, zc_wallet_pubkey (wallet, k), &balance, &immature, &count);
        zc_wallet_destroy (&wallet);
    }
    char a [ZC_AMOUNT_STR_MAX], b [ZC_AMOUNT_STR_MAX];
    if (cli->json)
        printf ("{\"balance\":%llu,\"immature\":%llu,\"spendable\":%llu,\"utxo_count\":%llu}\n",
                (unsigned long long) balance, (unsigned long long) immature,
                (unsigned long long) (balance - immature), (unsigned long long) count);
    else
        printf ("%s coins (%s immature)\n", zc_amount_format (balance, a), zc_amount_format (immature, b));
    zc_client_destroy (&client);
    return 0;
}

int
cmd_send (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        printf ("usage: zchain send ADDRESS AMOUNT [--fee-rate R] [--json]\n"
                "Pay AMOUNT coins (up to 8 decimals) to ADDRESS from the wallet; change goes\n"
                "back to the wallet's first key. Prints the txid, or the reason it was refused.\n"
                "  --fee-rate R   base units per 1000 bytes (default %d)\n", DEFAULT_FEE_RATE);
        return 0;
    }
    uint64_t fee_rate = DEFAULT_FEE_RATE;
    const char *pos [2];
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv [i], "--fee-rate") && i + 1 < argc) {
            char *end;
            unsigned long long r = strtoull (argv [++i], &end, 10);
            if (*end || r > 100000000ULL)
                cli_die (CLI_EXIT_USAGE, "--fee-rate: '%s' is not a number of units per 1000 bytes", argv [i]);
            fee_rate = r;
        }
        else
        if (n_pos < 2 && argv [i] [0] != '-')
            pos [n_pos++] = argv [i];
        else
            cli_die (CLI_EXIT_USAGE, "unexpected argument '%s' (usage: zchain send ADDRESS AMOUNT)", argv [i]);
    }
    if (n_pos != 2)
        cli_die (CLI_EXIT_USAGE, "usage: zchain send ADDRESS AMOUNT [--fee-rate R]");
    uint8_t to [32];
    zc_err_t rc = zc_address_decode (pos [0], cli->params->hrp, to);
    if (rc != ZC_OK)
        cli_die (CLI_EXIT_USAGE, "'%s' is %s; nothing sent", pos [0], rc == ZC_ERR_WRONG_NETWORK
                 ? "an address of another network" : "not a valid address (a typo?)");
    uint64_t amount;
    if (zc_amount_parse (pos [1], &amount) != ZC_OK || amount == 0)
        cli_die (CLI_EXIT_USAGE, "'%s' is not an amount of coins (up to 8 decimals)", pos [1]);
    char err [512];
    zc_wallet_t *wallet = zc_wallet_load (cli->wallet, err, sizeof err);
    if (!wallet)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    zc_client_t *client = node_connect (cli);
    spend_coins_t coins;
    spend_coins (client, wallet, cli->params, &coins);
    spend_order_random (&coins);
    zc_tx_t *tx = spend_build (&coins, wallet, cli->params, (const uint8_t (*) [32]) to, &amount, 1,
                               zc_wallet_pubkey (wallet, 0), fee_rate, err, sizeof err);
    if (!tx)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    const char *detail = NULL;
    rc = spend_submit (client, tx, &detail);
    char txid [65];
    zc_hash_hex (&tx->txid, txid);
    if (rc != ZC_OK)
        cli_die (CLI_EXIT_FAIL, "refused: %s%s%s", zc_err_name (rc), detail ? ": " : "", detail ? detail : "");
    if (cli->json)
        printf ("{\"txid\":\"%s\",\"size\":%u}\n", txid, tx->size);
    else
        printf ("%s\n", txid);
    zc_tx_destroy (&tx);
    spend_coins_free (&coins);
    zc_wallet_destroy (&wallet);
    zc_client_destroy (&client);
    return 0;
}
