/*  cmd_wallet.c - zchain wallet new | restore | rescan | passphrase | address | list | import */
#include "cli.h"
#include "node.h"
#include "wallet_open.h"
#include "zc_bech32.h"
#include "zc_bip39.h"
#include "zc_hex.h"
#include "envelope.pb-c.h"
#include "storage.pb-c.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
s_help (FILE *out)
{
    fprintf (out,
        "usage: zchain wallet new [--words 12|24] [--no-passphrase] [--show-mnemonic-once] [--keyfile]\n"
        "       zchain wallet restore [--phrase-file F] [--no-passphrase] [--no-scan]\n"
        "       zchain wallet rescan                 find the wallet's used addresses on the node again\n"
        "       zchain wallet passphrase [--new-passphrase-file F | --no-passphrase]\n"
        "       zchain wallet address [--new]      the receiving address (--new: a fresh one)\n"
        "       zchain wallet list                 every key: address, chain and index\n"
        "       zchain wallet import KEYFILE       take the keys of an old key file (format 1)\n\n"
        "A wallet comes from a BIP39 phrase of 12 or 24 words: write it down when\n"
        "\"wallet new\" shows it (once), and \"wallet restore\" rebuilds the wallet and finds\n"
        "its coins from it. Keys follow BIP86: m/86'/C'/0'/0/i receive, .../1/i change,\n"
        "where the coin type C is 1 on regtest and 31331 on devnet.\n"
        "The file (DATADIR/wallet.key unless --wallet says otherwise, mode 0600) is\n"
        "sealed under a passphrase (Argon2id, XChaCha20-Poly1305); --passphrase-file or\n"
        "ZC_PASSPHRASE_FILE give it without a terminal. Addresses and balances need no\n"
        "passphrase; spending does. --keyfile makes the old format: random keys, no\n"
        "phrase, no passphrase (miners, load generators).\n");
}

static void
s_print_address (cli_t *cli, zc_wallet_t *wallet, size_t i)
{
    char address [ZC_ADDRESS_MAX], hex [65];
    const uint8_t *pubkey = zc_wallet_pubkey (wallet, i);
    zc_address_encode (pubkey, cli->params->hrp, address);
    if (cli->json)
        printf ("{\"address\":\"%s\",\"pubkey\":\"%s\",\"chain\":%d,\"index\":%u}\n", address,
                zc_hex_encode (pubkey, 32, hex), zc_wallet_chain (wallet, i), zc_wallet_index (wallet, i));
    else
        printf ("%s\n", address);
}

//  The key of chain/index, or -1
static int
s_key_of (const zc_wallet_t *wallet, int chain, uint32_t index)
{
    for (size_t i = 0; i < zc_wallet_count (wallet); i++)
        if (zc_wallet_chain (wallet, i) == chain && zc_wallet_index (wallet, i) == index)
            return (int) i;
    return -1;
}

//  Has the chain seen pubkey: a transaction in its history or a coin
static bool
s_used (zc_client_t *client, const uint8_t pubkey [32])
{
    Zc__GetAddressTxs req = ZC__GET_ADDRESS_TXS__INIT;
    req.pubkey.data = (uint8_t *) pubkey;
    req.pubkey.len = 32;
    req.max = 1;
    req.chain = true;
    size_t size;
    const uint8_t *body = node_call (client, ZC__MSG_TYPE__GET_ADDRESS_TXS, &req.base,
                                     ZC__MSG_TYPE__ADDRESS_TXS_REPLY, &size);
    Zc__AddressTxsReply *r = zc__address_txs_reply__unpack (NULL, size, body);
    bool used = r && r->n_txs > 0;
    if (r)
        zc__address_txs_reply__free_unpacked (r, NULL);
    if (used)
        return true;
    //  a coin of a block from before the history index (architecture.md)
    Zc__GetAddress areq = ZC__GET_ADDRESS__INIT;
    areq.pubkey = req.pubkey;
    body = node_call (client, ZC__MSG_TYPE__GET_ADDRESS, &areq.base, ZC__MSG_TYPE__ADDRESS_REPLY, &size);
    Zc__AddressReply *a = zc__address_reply__unpack (NULL, size, body);
    used = a && a->utxo_count > 0;
    if (a)
        zc__address_reply__free_unpacked (a, NULL);
    return used;
}

//  The gap-limit scan: each chain's keys in order until ZC_WALLET_LOOKAHEAD
//  in a row have never been used; marks the last used one
static void
s_scan (cli_t *cli, zc_wallet_t *wallet)
{
    zc_client_t *client = node_connect (cli);
    char err [512];
    static const char *names [] = { "receiving", "change" };
    for (int chain = 0; chain < 2; chain++) {
        long last = -1;
        uint32_t scanned = 0;
        for (uint32_t i = 0, gap = 0; gap < ZC_WALLET_LOOKAHEAD; i++, scanned++) {
            if (zc_wallet_derive_to (wallet, chain, i, err, sizeof err))
                cli_die (CLI_EXIT_FAIL, "%s", err);
            if (s_used (client, zc_wallet_pubkey (wallet, (size_t) s_key_of (wallet, chain, i)))) {
                last = i;
                gap = 0;
            }
            else
                gap++;
        }
        if (last >= 0 && zc_wallet_mark_used (wallet, chain, (uint32_t) last, err, sizeof err))
            cli_die (CLI_EXIT_FAIL, "%s", err);
        if (!cli->json)
            fprintf (stderr, "scanned %u %s addresses: %ld used\n", scanned, names [chain], last + 1);
    }
    zc_client_destroy (&client);
}

//  The wallet's passphrase for a new file: asked twice, or none
static bool
s_new_passphrase (cli_t *cli, bool none, const char *file, char pass [WALLET_PASS_MAX])
{
    if (none)
        return false;
    wallet_passphrase (cli, file, "new wallet passphrase: ", true, pass);
    return true;
}

//  Show the phrase on the terminal and have two of its words typed back
static void
s_confirm_phrase (const char *phrase)
{
    if (!isatty (STDIN_FILENO) || !isatty (STDERR_FILENO))
        cli_die (CLI_EXIT_USAGE, "zchain wallet new shows the backup phrase once and asks you to "
                 "confirm it: run it in a terminal, or pass --show-mnemonic-once");
    fprintf (stderr, "\nyour backup phrase (write it down, in order; it is shown once):\n\n    %s\n\n", phrase);
    char words [24] [16];
    int n = 0;
    for (const char *p = phrase; *p && n < 24; ) {
        size_t len = strcspn (p, " ");
        snprintf (words [n++], sizeof words [0], "%.*s", (int) len, p);
        p += len + (p [len] == ' ');
    }
    uint8_t pick [2];
    zc_random_bytes (pick, sizeof pick);
    int a = pick [0] % n, b = (a + 1 + pick [1] % (n - 1)) % n;
    for (int k = 0; k < 2; k++) {
        int w = k ? b : a;
        fprintf (stderr, "word %d of your phrase: ", w + 1);
        char line [64] = "";
        if (!fgets (line, sizeof line, stdin))
            line [0] = 0;
        line [strcspn (line, "\r\n")] = 0;
        if (strcmp (line, words [w]))
            cli_die (CLI_EXIT_FAIL, "word %d is not '%s': no wallet was made; run zchain wallet new again",
                     w + 1, line);
    }
    explicit_bzero (words, sizeof words);
    //  clear the phrase off the screen
    fprintf (stderr, "\033[2J\033[H");
}

static int
s_new (cli_t *cli, int argc, char **argv)
{
    int words = 12;
    bool no_pass = false, show_once = false, keyfile = false;
    for (int i = 2; i < argc; i++) {
        if (!strcmp (argv [i], "--words") && i + 1 < argc) {
            words = atoi (argv [++i]);
            if (words != 12 && words != 24)
                cli_die (CLI_EXIT_USAGE, "--words: 12 or 24");
        }
        else
        if (!strcmp (argv [i], "--no-passphrase"))
            no_pass = true;
        else
        if (!strcmp (argv [i], "--show-mnemonic-once"))
            show_once = true;
        else
        if (!strcmp (argv [i], "--keyfile"))
            keyfile = true;
        else
            cli_die (CLI_EXIT_USAGE, "wallet new: unexpected argument '%s'", argv [i]);
    }
    if (!strcmp (cli->wallet, cli->wallet_buf))
        cli_ensure_datadir (cli);
    char err [512];
    if (keyfile) {
        zc_wallet_t *wallet = zc_wallet_create (cli->wallet, err, sizeof err);
        if (!wallet)
            cli_die (CLI_EXIT_FAIL, "%s", err);
        if (!cli->json)
            fprintf (stderr, "created %s\n", cli->wallet);
        s_print_address (cli, wallet, 0);
        zc_wallet_destroy (&wallet);
        return 0;
    }
    if (access (cli->wallet, F_OK) == 0)
        cli_die (CLI_EXIT_FAIL, "%s exists already; refusing to overwrite it", cli->wallet);
    char phrase [ZC_BIP39_PHRASE_MAX], pass [WALLET_PASS_MAX];
    if (zc_bip39_generate (words, phrase, sizeof phrase))
        cli_die (CLI_EXIT_FAIL, "no randomness for a phrase");
    if (!show_once)
        s_confirm_phrase (phrase);
    bool sealed = s_new_passphrase (cli, no_pass, NULL, pass);
    zc_wallet_t *wallet = zc_wallet_create_hd (cli->wallet, phrase, cli->params->name,
                                               cli->params->coin_type, sealed ? pass : NULL, 0, 0,
                                               err, sizeof err);
    explicit_bzero (pass, sizeof pass);
    if (!wallet) {
        explicit_bzero (phrase, sizeof phrase);
        cli_die (CLI_EXIT_FAIL, "%s", err);
    }
    if (!sealed)
        fprintf (stderr, "zchain: warning: %s has no passphrase: anyone who reads the file can "
                 "spend its coins (zchain wallet passphrase sets one)\n", cli->wallet);
    int first = zc_wallet_next_key (wallet, ZC_WALLET_CHAIN_RECEIVE, err, sizeof err);
    if (first < 0)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    char address [ZC_ADDRESS_MAX];
    zc_address_encode (zc_wallet_pubkey (wallet, (size_t) first), cli->params->hrp, address);
    if (cli->json)
        printf ("{\"address\":\"%s\",\"mnemonic\":\"%s\",\"path\":\"m/86'/%u'/0'\",\"encrypted\":%s}\n",
                address, show_once ? phrase : "", cli->params->coin_type, sealed ? "true" : "false");
    else {
        if (show_once)
            fprintf (stderr, "backup phrase (write it down; it is not shown again):\n%s\n", phrase);
        fprintf (stderr, "created %s\n", cli->wallet);
        printf ("%s\n", address);
    }
    explicit_bzero (phrase, sizeof phrase);
    zc_wallet_destroy (&wallet);
    return 0;
}

static size_t
    s_receive_key (zc_wallet_t *wallet, bool fresh);

static int
s_restore (cli_t *cli, int argc, char **argv)
{
    const char *phrase_file = NULL;
    bool no_pass = false, scan = true;
    for (int i = 2; i < argc; i++) {
        if (!strcmp (argv [i], "--phrase-file") && i + 1 < argc)
            phrase_file = argv [++i];
        else
        if (!strcmp (argv [i], "--no-passphrase"))
            no_pass = true;
        else
        if (!strcmp (argv [i], "--no-scan"))
            scan = false;
        else
            cli_die (CLI_EXIT_USAGE, "wallet restore: unexpected argument '%s'", argv [i]);
    }
    if (!strcmp (cli->wallet, cli->wallet_buf))
        cli_ensure_datadir (cli);
    if (access (cli->wallet, F_OK) == 0)
        cli_die (CLI_EXIT_FAIL, "%s exists already; refusing to overwrite it", cli->wallet);
    char phrase [ZC_BIP39_PHRASE_MAX + 64] = "", pass [WALLET_PASS_MAX], err [512];
    FILE *in = phrase_file ? fopen (phrase_file, "r") : stdin;
    if (!in)
        cli_die (CLI_EXIT_FAIL, "cannot read %s", phrase_file);
    if (!phrase_file && isatty (STDIN_FILENO))
        fprintf (stderr, "backup phrase: ");
    if (!fgets (phrase, sizeof phrase, in))
        phrase [0] = 0;
    if (phrase_file)
        fclose (in);
    phrase [strcspn (phrase, "\r\n")] = 0;
    if (zc_bip39_check (phrase, err, sizeof err))
        cli_die (CLI_EXIT_FAIL, "%s", err);
    bool sealed = s_new_passphrase (cli, no_pass, NULL, pass);
    zc_wallet_t *wallet = zc_wallet_create_hd (cli->wallet, phrase, cli->params->name,
                                               cli->params->coin_type, sealed ? pass : NULL, 0, 0,
                                               err, sizeof err);
    explicit_bzero (pass, sizeof pass);
    explicit_bzero (phrase, sizeof phrase);
    if (!wallet)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    if (!cli->json)
        fprintf (stderr, "created %s\n", cli->wallet);
    if (scan)
        s_scan (cli, wallet);
    s_print_address (cli, wallet, s_receive_key (wallet, false));
    zc_wallet_destroy (&wallet);
    return 0;
}

static int
s_passphrase (cli_t *cli, int argc, char **argv)
{
    const char *file = NULL;
    bool none = false;
    for (int i = 2; i < argc; i++) {
        if (!strcmp (argv [i], "--new-passphrase-file") && i + 1 < argc)
            file = argv [++i];
        else
        if (!strcmp (argv [i], "--no-passphrase"))
            none = true;
        else
            cli_die (CLI_EXIT_USAGE, "wallet passphrase: unexpected argument '%s'", argv [i]);
    }
    zc_wallet_t *wallet = wallet_open (cli, true);
    if (zc_wallet_format (wallet) != 2)
        cli_die (CLI_EXIT_FAIL, "%s is a key file, which has no passphrase: make a wallet "
                 "(zchain wallet new) and zchain wallet import it", cli->wallet);
    char pass [WALLET_PASS_MAX], err [512];
    if (!none) {
        if (!file && !isatty (STDIN_FILENO))
            cli_die (CLI_EXIT_FAIL, "the new passphrase: --new-passphrase-file FILE, or run in a terminal");
        wallet_passphrase (cli, file ? file : "", "new wallet passphrase: ", true, pass);
    }
    int rc = zc_wallet_set_passphrase (wallet, none ? NULL : pass, err, sizeof err);
    explicit_bzero (pass, sizeof pass);
    if (rc)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    fprintf (stderr, none ? "zchain: warning: %s now has no passphrase\n" : "%s: passphrase changed\n",
             cli->wallet);
    zc_wallet_destroy (&wallet);
    return 0;
}

static int
s_import (cli_t *cli, int argc, char **argv)
{
    if (argc != 3)
        cli_die (CLI_EXIT_USAGE, "usage: zchain wallet import KEYFILE");
    char err [512];
    zc_wallet_t *old = zc_wallet_load (argv [2], err, sizeof err);
    if (!old)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    if (zc_wallet_format (old) != 1)
        cli_die (CLI_EXIT_FAIL, "%s is not a key file (format 1)", argv [2]);
    zc_wallet_t *wallet = wallet_open (cli, true);
    if (zc_wallet_format (wallet) != 2)
        cli_die (CLI_EXIT_FAIL, "%s is a key file too: import into a wallet (zchain wallet new)", cli->wallet);
    size_t before = zc_wallet_count (wallet);
    for (size_t i = 0; i < zc_wallet_count (old); i++) {
        const zc_seckey_t *secret = zc_wallet_seckey_for (old, zc_wallet_pubkey (old, i));
        if (zc_wallet_import (wallet, secret, zc_wallet_created (old, i), err, sizeof err) < 0)
            cli_die (CLI_EXIT_FAIL, "%s", err);
    }
    size_t added = zc_wallet_count (wallet) - before;
    if (cli->json)
        printf ("{\"imported\":%zu,\"known\":%zu}\n", added, zc_wallet_count (old) - added);
    else
        printf ("imported %zu keys (%zu known already)\n", added, zc_wallet_count (old) - added);
    zc_wallet_destroy (&old);
    zc_wallet_destroy (&wallet);
    return 0;
}

//  The receiving address to show: the last one handed out (the first, of
//  a key file), or a fresh one when fresh or none was handed out yet
static size_t
s_receive_key (zc_wallet_t *wallet, bool fresh)
{
    char err [512];
    int at = 0;
    if (zc_wallet_format (wallet) == 1)
        at = fresh ? zc_wallet_next_key (wallet, ZC_WALLET_CHAIN_RECEIVE, err, sizeof err) : 0;
    else {
        uint32_t next = zc_wallet_next_index (wallet, ZC_WALLET_CHAIN_RECEIVE);
        at = fresh || next == 0 ? zc_wallet_next_key (wallet, ZC_WALLET_CHAIN_RECEIVE, err, sizeof err)
                                : s_key_of (wallet, ZC_WALLET_CHAIN_RECEIVE, next - 1);
    }
    if (at < 0)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    return (size_t) at;
}

static int
s_address (cli_t *cli, int argc, char **argv)
{
    bool fresh = argc == 3 && !strcmp (argv [2], "--new");
    if (argc > 3 || (argc == 3 && !fresh))
        cli_die (CLI_EXIT_USAGE, "wallet address takes only --new");
    zc_wallet_t *wallet = wallet_open (cli, false);
    s_print_address (cli, wallet, s_receive_key (wallet, fresh));
    zc_wallet_destroy (&wallet);
    return 0;
}

static int
s_list (cli_t *cli, int argc)
{
    if (argc > 2)
        cli_die (CLI_EXIT_USAGE, "wallet list takes no arguments");
    zc_wallet_t *wallet = wallet_open (cli, false);
    if (cli->json)
        printf ("[");
    bool hd = zc_wallet_format (wallet) == 2;
    int printed = 0;
    for (size_t i = 0; i < zc_wallet_count (wallet); i++) {
        int chain = zc_wallet_chain (wallet, i);
        uint32_t index = zc_wallet_index (wallet, i);
        //  the lookahead's keys are not handed out yet
        if (hd && chain >= 0 && index >= zc_wallet_next_index (wallet, chain))
            continue;
        char address [ZC_ADDRESS_MAX], hex [65], path [64];
        zc_address_encode (zc_wallet_pubkey (wallet, i), cli->params->hrp, address);
        zc_hex_encode (zc_wallet_pubkey (wallet, i), 32, hex);
        if (chain >= 0)
            snprintf (path, sizeof path, "m/86'/%u'/0'/%d/%u", cli->params->coin_type, chain, index);
        else
            snprintf (path, sizeof path, "imported");
        if (cli->json)
            printf ("%s{\"address\":\"%s\",\"pubkey\":\"%s\",\"path\":\"%s\",\"created\":%lld}",
                    printed ? "," : "", address, hex, path, (long long) zc_wallet_created (wallet, i));
        else
            printf ("%s  %s\n", address, path);
        printed++;
    }
    if (cli->json)
        printf ("]\n");
    zc_wallet_destroy (&wallet);
    return 0;
}

int
cmd_wallet (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        s_help (stdout);
        return 0;
    }
    if (argc < 2)
        cli_die (CLI_EXIT_USAGE, "wallet needs a subcommand: new, restore, rescan, passphrase, "
                 "address, list or import");
    const char *sub = argv [1];
    if (!strcmp (sub, "new"))
        return s_new (cli, argc, argv);
    if (!strcmp (sub, "restore"))
        return s_restore (cli, argc, argv);
    if (!strcmp (sub, "rescan")) {
        zc_wallet_t *wallet = wallet_open (cli, true);
        if (zc_wallet_format (wallet) != 2)
            cli_die (CLI_EXIT_FAIL, "%s is a key file: nothing to scan for", cli->wallet);
        s_scan (cli, wallet);
        zc_wallet_destroy (&wallet);
        return 0;
    }
    if (!strcmp (sub, "passphrase"))
        return s_passphrase (cli, argc, argv);
    if (!strcmp (sub, "address"))
        return s_address (cli, argc, argv);
    if (!strcmp (sub, "list"))
        return s_list (cli, argc);
    if (!strcmp (sub, "import"))
        return s_import (cli, argc, argv);
    cli_die (CLI_EXIT_USAGE, "unknown wallet subcommand '%s' (new, restore, rescan, passphrase, "
             "address, list or import)", sub);
}
