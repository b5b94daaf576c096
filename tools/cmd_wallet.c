/*  cmd_wallet.c - zchain wallet new | address [--new] | list */
#include "cli.h"
#include "zc_bech32.h"
#include "zc_hex.h"
#include "zc_wallet.h"

#include <string.h>

static void
s_help (FILE *out)
{
    fprintf (out,
        "usage: zchain wallet new              create the key file (mode 0600) with one key\n"
        "       zchain wallet address [--new]  print the first address, or add a key and print its\n"
        "       zchain wallet list             every address and key\n\n"
        "The key file is DATADIR/wallet.key unless --wallet FILE says otherwise. zchain\n"
        "never overwrites one, and refuses one that other users can read.\n");
}

static zc_wallet_t *
s_load (cli_t *cli)
{
    char err [512];
    zc_wallet_t *wallet = zc_wallet_load (cli->wallet, err, sizeof err);
    if (!wallet)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    return wallet;
}

static void
s_print_address (cli_t *cli, const uint8_t *pubkey)
{
    char address [ZC_ADDRESS_MAX], hex [65];
    zc_address_encode (pubkey, cli->params->hrp, address);
    if (cli->json) {
        printf ("{\"address\":\"%s\",\"pubkey\":\"%s\"}\n", address, zc_hex_encode (pubkey, 32, hex));
    }
    else
        printf ("%s\n", address);
}

int
cmd_wallet (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        s_help (stdout);
        return 0;
    }
    if (argc < 2)
        cli_die (CLI_EXIT_USAGE, "wallet needs a subcommand: new, address or list");
    const char *sub = argv [1];
    char err [512];
    if (!strcmp (sub, "new")) {
        if (argc > 2)
            cli_die (CLI_EXIT_USAGE, "wallet new takes no arguments");
        if (!strcmp (cli->wallet, cli->wallet_buf))
            cli_ensure_datadir (cli);
        zc_wallet_t *wallet = zc_wallet_create (cli->wallet, err, sizeof err);
        if (!wallet)
            cli_die (CLI_EXIT_FAIL, "%s", err);
        if (!cli->json)
            fprintf (stderr, "created %s\n", cli->wallet);
        s_print_address (cli, zc_wallet_pubkey (wallet, 0));
        zc_wallet_destroy (&wallet);
        return 0;
    }
    if (!strcmp (sub, "address")) {
        bool add = argc == 3 && !strcmp (argv [2], "--new");
        if (argc > 3 || (argc == 3 && !add))
            cli_die (CLI_EXIT_USAGE, "wallet address takes only --new");
        zc_wallet_t *wallet = s_load (cli);
        size_t index = 0;
        if (add) {
            int i = zc_wallet_add_key (wallet, err, sizeof err);
            if (i < 0) {
                zc_wallet_destroy (&wallet);
                cli_die (CLI_EXIT_FAIL, "%s", err);
            }
            index = (size_t) i;
        }
        s_print_address (cli, zc_wallet_pubkey (wallet, index));
        zc_wallet_destroy (&wallet);
        return 0;
    }
    if (!strcmp (sub, "list")) {
        if (argc > 2)
            cli_die (CLI_EXIT_USAGE, "wallet list takes no arguments");
        zc_wallet_t *wallet = s_load (cli);
        if (cli->json)
            printf ("[");
        for (size_t i = 0; i < zc_wallet_count (wallet); i++) {
            char address [ZC_ADDRESS_MAX], hex [65];
            zc_address_encode (zc_wallet_pubkey (wallet, i), cli->params->hrp, address);
            zc_hex_encode (zc_wallet_pubkey (wallet, i), 32, hex);
            if (cli->json)
                printf ("%s{\"address\":\"%s\",\"pubkey\":\"%s\",\"created\":%lld}", i ? "," : "",
                        address, hex, (long long) zc_wallet_created (wallet, i));
            else
                printf ("%s  %s\n", address, hex);
        }
        if (cli->json)
            printf ("]\n");
        zc_wallet_destroy (&wallet);
        return 0;
    }
    cli_die (CLI_EXIT_USAGE, "unknown wallet subcommand '%s' (new, address or list)", sub);
}
