/*  cmd_send.c - zchain balance [ADDRESS] | zchain send ADDRESS AMOUNT [ADDRESS AMOUNT ...] */
#include "cli.h"
#include "node.h"
#include "spend.h"
#include "wallet_open.h"
#include "wallet_view.h"
#include "zc_amount.h"
#include "zc_bech32.h"
#include "zc_check.h"
#include "zc_coinselect.h"
#include "zc_hex.h"
#include "envelope.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEND_MAX_OUTPUTS 250
#define SEND_FEE_TARGET 3               //  blocks: the estimate send uses by default
#define SEND_MAX_FEE_RATE 100000000ULL

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
                "The balance of ADDRESS (confirmed), or of the wallet: confirmed (spendable\n"
                "now, less what its unconfirmed payments spend), unconfirmed (the change and\n"
                "self-payments of those payments, spendable too) and immature (mined coins\n"
                "not yet spendable). JSON amounts are base units (1 coin = 100000000).\n");
        return 0;
    }
    if (argc > 2)
        cli_die (CLI_EXIT_USAGE, "usage: zchain balance [ADDRESS]");
    zc_client_t *client = node_connect (cli);
    uint64_t balance = 0, immature = 0, count = 0;
    char a [ZC_AMOUNT_STR_MAX], b [ZC_AMOUNT_STR_MAX], c [ZC_AMOUNT_STR_MAX];
    if (argc == 2) {
        uint8_t pubkey [32];
        zc_err_t rc = zc_address_decode (argv [1], cli->params->hrp, pubkey);
        if (rc != ZC_OK)
            cli_die (CLI_EXIT_USAGE, "'%s' is %s", argv [1], rc == ZC_ERR_WRONG_NETWORK
                     ? "an address of another network" : "not a valid address");
        s_balance_of (client, pubkey, &balance, &immature, &count);
        if (cli->json)
            printf ("{\"balance\":%llu,\"immature\":%llu,\"spendable\":%llu,\"utxo_count\":%llu}\n",
                    (unsigned long long) balance, (unsigned long long) immature,
                    (unsigned long long) (balance - immature), (unsigned long long) count);
        else
            printf ("%s coins (%s immature)\n", zc_amount_format (balance, a), zc_amount_format (immature, b));
        zc_client_destroy (&client);
        return 0;
    }
    zc_wallet_t *wallet = wallet_open (cli, false);
    wallet_view_t view;
    wallet_view (client, wallet, cli->params, &view);
    balance = view.coins.balance;
    immature = view.coins.immature;
    count = view.coins.utxo_count;
    uint64_t confirmed = view.coins.total - view.coins.unconfirmed;
    uint64_t unconfirmed = view.coins.unconfirmed;
    if (cli->json)
        printf ("{\"confirmed\":%llu,\"unconfirmed\":%llu,\"immature\":%llu,\"balance\":%llu,"
                "\"spendable\":%llu,\"utxo_count\":%llu}\n",
                (unsigned long long) confirmed, (unsigned long long) unconfirmed,
                (unsigned long long) immature, (unsigned long long) balance,
                (unsigned long long) (balance - immature), (unsigned long long) count);
    else
        printf ("%s coins confirmed, %s unconfirmed, %s immature\n", zc_amount_format (confirmed, a),
                zc_amount_format (unconfirmed, b), zc_amount_format (immature, c));
    wallet_view_free (&view);
    zc_wallet_destroy (&wallet);
    zc_client_destroy (&client);
    return 0;
}

// ---------------------------------------------------------------------------
//  zchain send

typedef struct {
    zc_txout_t pay [SEND_MAX_OUTPUTS];
    size_t n_pay;
    uint64_t total;                     //  of the payments
    uint64_t fee_rate;                  //  0: the estimate
    bool subtract_fee;
    bool dry_run;
} s_send_t;

static void
s_parse (cli_t *cli, int argc, char **argv, s_send_t *s)
{
    memset (s, 0, sizeof *s);
    const char *pos [2 * SEND_MAX_OUTPUTS];
    size_t n_pos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv [i], "--fee-rate") && i + 1 < argc) {
            char *end;
            unsigned long long r = strtoull (argv [++i], &end, 10);
            if (*end || r == 0 || r > SEND_MAX_FEE_RATE)
                cli_die (CLI_EXIT_USAGE, "--fee-rate: '%s' is not a number of units per 1000 bytes", argv [i]);
            s->fee_rate = r;
        }
        else
        if (!strcmp (argv [i], "--subtract-fee"))
            s->subtract_fee = true;
        else
        if (!strcmp (argv [i], "--dry-run"))
            s->dry_run = true;
        else
        if (n_pos < 2 * SEND_MAX_OUTPUTS && argv [i] [0] != '-')
            pos [n_pos++] = argv [i];
        else
            cli_die (CLI_EXIT_USAGE, "unexpected argument '%s' (usage: zchain send ADDRESS AMOUNT ...)", argv [i]);
    }
    if (n_pos == 0 || n_pos % 2)
        cli_die (CLI_EXIT_USAGE, "usage: zchain send ADDRESS AMOUNT [ADDRESS AMOUNT ...] [--fee-rate R] "
                 "[--subtract-fee] [--dry-run]");
    for (size_t k = 0; k < n_pos; k += 2) {
        zc_txout_t *out = &s->pay [s->n_pay++];
        zc_err_t rc = zc_address_decode (pos [k], cli->params->hrp, out->pubkey);
        if (rc != ZC_OK)
            cli_die (CLI_EXIT_USAGE, "'%s' is %s; nothing sent", pos [k], rc == ZC_ERR_WRONG_NETWORK
                     ? "an address of another network" : "not a valid address (a typo?)");
        if (zc_amount_parse (pos [k + 1], &out->amount) != ZC_OK || out->amount == 0)
            cli_die (CLI_EXIT_USAGE, "'%s' is not an amount of coins (up to 8 decimals)", pos [k + 1]);
        if (!zc_amount_add (&s->total, out->amount))
            cli_die (CLI_EXIT_USAGE, "the amounts add up to more than exists");
    }
}

//  Take reduce units off the payments, evenly, the first taking what does
//  not divide; exits when one would be dust
static void
s_subtract (s_send_t *s, uint64_t reduce)
{
    uint64_t each = reduce / s->n_pay, rest = reduce % s->n_pay;
    for (size_t i = 0; i < s->n_pay; i++) {
        uint64_t cut = each + (i == 0 ? rest : 0);
        if (s->pay [i].amount < cut + ZC_DUST_THRESHOLD_DEFAULT)
            cli_die (CLI_EXIT_FAIL, "the fee (%llu units) would leave payment %zu as dust: nothing sent",
                     (unsigned long long) reduce, i + 1);
        s->pay [i].amount -= cut;
    }
}

//  The change key: the next unused change key of a wallet, the first key of
//  a key file
static const uint8_t *
s_change_key (zc_wallet_t *wallet)
{
    if (zc_wallet_format (wallet) == 1)
        return zc_wallet_pubkey (wallet, 0);
    char err [512];
    uint32_t index = zc_wallet_next_index (wallet, ZC_WALLET_CHAIN_CHANGE);
    if (zc_wallet_derive_to (wallet, ZC_WALLET_CHAIN_CHANGE, index, err, sizeof err))
        cli_die (CLI_EXIT_FAIL, "%s", err);
    for (size_t i = 0; i < zc_wallet_count (wallet); i++)
        if (zc_wallet_chain (wallet, i) == ZC_WALLET_CHAIN_CHANGE && zc_wallet_index (wallet, i) == index)
            return zc_wallet_pubkey (wallet, i);
    cli_die (CLI_EXIT_FAIL, "the wallet has no change key");
}

//  Choose the coins and the change, and sign: the transaction
//  What a transaction pays in fees: its inputs' coins less its outputs
static uint64_t
s_tx_fee (const zc_tx_t *tx, const spend_coin_t *inputs)
{
    uint64_t fee = 0;
    for (uint32_t i = 0; i < tx->n_in; i++)
        fee += inputs [i].coin.amount;
    for (uint32_t o = 0; o < tx->n_out; o++)
        fee -= tx->out [o].amount;
    return fee;
}

static zc_tx_t *
s_build (s_send_t *s, zc_wallet_t *wallet, const zc_params_t *params, spend_coins_t *coins,
         uint64_t *change_p, uint64_t *fee_p)
{
    for (size_t i = 0; i < s->n_pay; i++)
        if (s->pay [i].amount < ZC_DUST_THRESHOLD_DEFAULT)
            cli_die (CLI_EXIT_FAIL, "%llu units is dust: nodes refuse outputs under %llu",
                     (unsigned long long) s->pay [i].amount, (unsigned long long) ZC_DUST_THRESHOLD_DEFAULT);
    const size_t in_bytes = ZC_OUTPOINT_BYTES + ZC_SIG_SIZE;
    zc_coinselect_ask_t ask = {
        .target = s->total + (s->subtract_fee ? 0 : spend_fee (s->fee_rate, spend_tx_size (0, s->n_pay))),
        .input_fee = s->subtract_fee ? 0 : spend_fee (s->fee_rate, in_bytes),
        .change_fee = spend_fee (s->fee_rate, ZC_TXOUT_BYTES),
        .cost_of_change = spend_fee (s->fee_rate, ZC_TXOUT_BYTES + in_bytes),
        .min_change = ZC_DUST_THRESHOLD_DEFAULT
    };
    uint64_t *amounts = calloc (coins->n ? coins->n : 1, sizeof *amounts);
    bool *chosen = calloc (coins->n ? coins->n : 1, sizeof *chosen);
    if (!amounts || !chosen)
        cli_die (CLI_EXIT_FAIL, "out of memory");
    for (size_t i = 0; i < coins->n; i++)
        amounts [i] = coins->coins [i].coin.amount;
    zc_coinselect_result_t r;
    if (zc_coinselect (amounts, coins->n, &ask, chosen, &r) == ZC_COINSELECT_NONE) {
        char a [ZC_AMOUNT_STR_MAX], b [ZC_AMOUNT_STR_MAX];
        cli_die (CLI_EXIT_FAIL, "not enough funds: %s spendable, %s needed with the fee; nothing sent",
                 zc_amount_format (coins->total, a), zc_amount_format (ask.target, b));
    }
    size_t n_in = 0;
    for (size_t i = 0; i < coins->n; i++)
        if (chosen [i])
            coins->coins [n_in++] = coins->coins [i];     //  the chosen first, in their order
    free (amounts);
    free (chosen);
    //  the exact fee of the shape chosen
    uint64_t change = 0;
    uint64_t with_change = spend_fee (s->fee_rate, spend_tx_size (n_in, s->n_pay + 1));
    uint64_t without = spend_fee (s->fee_rate, spend_tx_size (n_in, s->n_pay));
    if (s->subtract_fee) {
        //  the payees pay the fee: the change is all that is left over
        uint64_t extra = r.total - s->total;
        if (extra >= ZC_DUST_THRESHOLD_DEFAULT) {
            change = extra;
            s_subtract (s, with_change);
        }
        else
        if (extra < without)
            s_subtract (s, without - extra);
    }
    else {
        if (r.total >= s->total + with_change + ZC_DUST_THRESHOLD_DEFAULT)
            change = r.total - s->total - with_change;
        if (!change && r.total < s->total + without)
            cli_die (CLI_EXIT_FAIL, "not enough funds for the fee; nothing sent");
    }
    zc_txout_t outputs [SEND_MAX_OUTPUTS + 1];
    memcpy (outputs, s->pay, s->n_pay * sizeof *outputs);
    if (change) {
        outputs [s->n_pay].amount = change;
        memcpy (outputs [s->n_pay].pubkey, s_change_key (wallet), 32);
    }
    char err [512];
    zc_tx_t *tx = spend_sign (coins->coins, n_in, outputs, s->n_pay + (change ? 1 : 0), wallet, params,
                              err, sizeof err);
    if (!tx)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    *change_p = change;
    *fee_p = s_tx_fee (tx, coins->coins);
    return tx;
}

//  A key file keeps no payments: its coins in random order, so that two
//  payments in one block interval rarely choose the same one
static zc_tx_t *
s_build_keyfile (s_send_t *s, zc_wallet_t *wallet, const zc_params_t *params, spend_coins_t *coins,
                 uint64_t *change_p, uint64_t *fee_p)
{
    if (s->subtract_fee)
        cli_die (CLI_EXIT_USAGE, "--subtract-fee needs a wallet (zchain wallet new), not a key file");
    spend_order_random (coins);
    //  spend_build takes the coins it spends off the list: their copy
    spend_coin_t *order = malloc ((coins->n ? coins->n : 1) * sizeof *order);
    if (!order)
        cli_die (CLI_EXIT_FAIL, "out of memory");
    memcpy (order, coins->coins, coins->n * sizeof *order);
    uint8_t pubkeys [SEND_MAX_OUTPUTS] [32];
    uint64_t amounts [SEND_MAX_OUTPUTS];
    for (size_t i = 0; i < s->n_pay; i++) {
        memcpy (pubkeys [i], s->pay [i].pubkey, 32);
        amounts [i] = s->pay [i].amount;
    }
    char err [512];
    zc_tx_t *tx = spend_build (coins, wallet, params, (const uint8_t (*) [32]) pubkeys, amounts, s->n_pay,
                               zc_wallet_pubkey (wallet, 0), s->fee_rate, err, sizeof err);
    if (!tx)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    *change_p = tx->n_out > s->n_pay ? tx->out [s->n_pay].amount : 0;
    *fee_p = s_tx_fee (tx, order);
    free (order);
    return tx;
}

static void
s_print_dry_run (cli_t *cli, const zc_tx_t *tx, uint64_t fee)
{
    size_t size;
    uint8_t *raw = zc_tx_encode (tx, &size);
    char *hex = malloc (2 * size + 1);
    if (!raw || !hex)
        cli_die (CLI_EXIT_FAIL, "out of memory");
    zc_hex_encode (raw, size, hex);
    char txid [65], a [ZC_AMOUNT_STR_MAX], address [ZC_ADDRESS_MAX];
    zc_hash_hex (&tx->txid, txid);
    uint64_t rate = fee * 1000 / size;
    if (cli->json) {
        printf ("{\"txid\":\"%s\",\"size\":%zu,\"fee\":%llu,\"fee_rate\":%llu,\"inputs\":%u,\"outputs\":[",
                txid, size, (unsigned long long) fee, (unsigned long long) rate, tx->n_in);
        for (uint32_t o = 0; o < tx->n_out; o++) {
            zc_address_encode (tx->out [o].pubkey, cli->params->hrp, address);   //  ours: points
            printf ("%s{\"address\":\"%s\",\"amount\":%llu}", o ? "," : "", address,
                    (unsigned long long) tx->out [o].amount);
        }
        printf ("],\"hex\":\"%s\"}\n", hex);
    }
    else {
        printf ("txid      %s (not sent: --dry-run)\nsize      %zu bytes, %u inputs\n", txid, size, tx->n_in);
        printf ("fee       %s (%llu units per 1000 bytes)\n", zc_amount_format (fee, a), (unsigned long long) rate);
        for (uint32_t o = 0; o < tx->n_out; o++) {
            zc_address_encode (tx->out [o].pubkey, cli->params->hrp, address);
            printf ("output %u  %s %s\n", o, address, zc_amount_format (tx->out [o].amount, a));
        }
        printf ("hex       %s\n", hex);
    }
    free (hex);
    free (raw);
}

int
cmd_send (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        printf ("usage: zchain send ADDRESS AMOUNT [ADDRESS AMOUNT ...] [--fee-rate R] [--subtract-fee]\n"
                "                   [--dry-run] [--json]\n"
                "Pay each ADDRESS its AMOUNT of coins (up to 8 decimals) from the wallet, in one\n"
                "transaction; change goes to a fresh change address. Coins: the fewest and\n"
                "closest (branch and bound, no change when it can), else largest first.\n"
                "Prints the txid, or the reason it was refused.\n"
                "  --fee-rate R     base units per 1000 bytes (default: the node's estimate for %d\n"
                "                   blocks, zchain estimatefee)\n"
                "  --subtract-fee   the payees pay the fee, out of their amounts, evenly\n"
                "  --dry-run        build and sign, print the transaction, its fee and rate; send nothing\n",
                SEND_FEE_TARGET);
        return 0;
    }
    s_send_t s;
    s_parse (cli, argc, argv, &s);
    zc_wallet_t *wallet = wallet_open (cli, true);
    zc_client_t *client = node_connect (cli);
    bool estimated = s.fee_rate == 0;
    if (estimated) {
        const uint32_t target = SEND_FEE_TARGET;
        wallet_fee_estimates (client, &target, 1, &s.fee_rate, NULL);
    }
    wallet_view_t view;
    wallet_view (client, wallet, cli->params, &view);
    uint64_t change = 0, fee = 0;
    zc_tx_t *tx = zc_wallet_format (wallet) == 2
                ? s_build (&s, wallet, cli->params, &view.coins, &change, &fee)
                : s_build_keyfile (&s, wallet, cli->params, &view.coins, &change, &fee);
    if (s.dry_run) {
        s_print_dry_run (cli, tx, fee);
        zc_tx_destroy (&tx);
        wallet_view_free (&view);
        zc_wallet_destroy (&wallet);
        zc_client_destroy (&client);
        return 0;
    }
    const char *detail = NULL;
    zc_err_t rc = spend_submit (client, tx, &detail);
    char txid [65], a [ZC_AMOUNT_STR_MAX];
    zc_hash_hex (&tx->txid, txid);
    if (rc != ZC_OK)
        cli_die (CLI_EXIT_FAIL, "refused: %s%s%s", zc_err_name (rc), detail ? ": " : "", detail ? detail : "");
    char err [512];
    size_t size;
    uint8_t *raw = zc_tx_encode (tx, &size);
    if (change && zc_wallet_format (wallet) == 2
    &&  zc_wallet_next_key (wallet, ZC_WALLET_CHAIN_CHANGE, err, sizeof err) < 0)
        fprintf (stderr, "zchain: warning: sent, but %s\n", err);
    if (!raw || zc_wallet_add_tx (wallet, &tx->txid, raw, size, fee, (int64_t) time (NULL), err, sizeof err))
        fprintf (stderr, "zchain: warning: sent, but the wallet could not keep it: %s\n", raw ? err : "out of memory");
    free (raw);
    if (cli->json)
        printf ("{\"txid\":\"%s\",\"size\":%u,\"fee\":%llu,\"fee_rate\":%llu}\n", txid, tx->size,
                (unsigned long long) fee, (unsigned long long) s.fee_rate);
    else {
        fprintf (stderr, "fee %s at %llu units per 1000 bytes%s\n", zc_amount_format (fee, a),
                 (unsigned long long) s.fee_rate, estimated ? " (the node's estimate for 3 blocks)" : "");
        printf ("%s\n", txid);
    }
    zc_tx_destroy (&tx);
    wallet_view_free (&view);
    zc_wallet_destroy (&wallet);
    zc_client_destroy (&client);
    return 0;
}
