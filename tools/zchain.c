/*  zchain.c - the zchain command-line tool: global options and the command table */
#include "cli.h"
#include "zc_log.h"
#include "zc_private.h"

#include <czmq.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_command_t s_commands [] = {
    { "up", "[--miners N] [--validators N] ...", "start a whole node here (Ctrl-C stops it)", cmd_up },
    { "net", "up N [--miners M] ...", "a network of N local nodes, to try things on", cmd_net },
    { "status", "", "height, tip and mempool of the node", cmd_status },
    { "balance", "[ADDRESS]", "balance of an address, or the wallet's", cmd_balance },
    { "send", "ADDRESS AMOUNT [ADDRESS AMOUNT ...]", "pay coins from the wallet", cmd_send },
    { "history", "", "the wallet's transactions, newest first", cmd_history },
    { "estimatefee", "", "fee rates for 1, 3, 6 and 12 blocks", cmd_estimatefee },
    { "bumpfee", "TXID [--fee-rate R]", "pay more for an unconfirmed payment (replace-by-fee)", cmd_bumpfee },
    { "tx", "TXID", "a transaction, confirmed or in the mempool", cmd_tx },
    { "block", "HEIGHT|HASH", "a block", cmd_block },
    { "mempool", "", "what waits to be confirmed", cmd_mempool },
    { "peers", "[--deny ADDR ...] [--allow-all]", "the node's peers (state, latency, bytes, score)", cmd_peers },
    { "ping", "[ENDPOINT|URL] [--timeout MS]", "is a service alive? (healthchecks)", cmd_ping },
    { "watch", "[--notify ENDPOINT]", "follow blocks and transactions as they happen", cmd_watch },
    { "bench", "[--txs N] [--rate R] ...", "load a node and measure it", cmd_bench },
    { "propagate", "[--nodes N] [--outbound K] ...", "how fast blocks reach N in-process relay nodes", cmd_propagate },
    { "wallet", "new | restore | address | list | ...", "make, restore and show your wallet", cmd_wallet },
    { "keys", "init DIR | export DIR OUT ROLE.. | show", "the node's CURVE keys, one pair per role", cmd_keys },
    { NULL, NULL, NULL, NULL }
};

void
cli_die (int code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "zchain: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    fflush (stdout);
    fflush (stderr);
    //  _exit: no CZMQ shutdown noise about sockets an error path left open
    _exit (code);
}

bool
cli_wants_help (int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp (argv [i], "--help") || !strcmp (argv [i], "-h"))
            return true;
    return false;
}

void
cli_ensure_datadir (cli_t *cli)
{
    char err [512];
    if (zc_private_dir (cli->datadir, err, sizeof err))
        cli_die (CLI_EXIT_FAIL, "%s", err);
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: zchain [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
        "zchain is a proof-of-work UTXO blockchain node; this tool runs it and talks to it.\n\n"
        "commands:\n");
    for (const cli_command_t *c = s_commands; c->name; c++)
        fprintf (out, "  %-11s %-36s %s\n", c->name, c->usage, c->summary);
    fprintf (out,
        "\nglobal options (before or after the command):\n"
        "  --datadir DIR       data directory (env ZC_DATADIR, default ./data)\n"
        "  --network NAME      regtest or devnet (env ZC_NETWORK, default regtest)\n"
        "  --wallet FILE       wallet file (env ZC_WALLET, default DATADIR/wallet.key)\n"
        "  --passphrase-file F the wallet's passphrase, its first line (env ZC_PASSPHRASE_FILE;\n"
        "                      without it zchain asks on the terminal)\n"
        "  --node ENDPOINT     the node's api (env ZC_NODE, default: the one in DATADIR);\n"
        "                      env ZC_NODE_NOTIFY names its notifications (watch, bench)\n"
        "  --keys DIR          the node's CURVE keys (env ZC_KEYS, default DATADIR/keys when\n"
        "                      it exists): the operator's when DIR holds that secret;\n"
        "                      \"\" for none (a node started with --insecure)\n"
        "  --json              print data as JSON\n"
        "  --version           print the version\n"
        "  -h, --help          this help; COMMAND --help for a command's\n");
}

//  Take a global option's value out of argv; returns the value or NULL
static const char *
s_take (int *argc, char **argv, int i, const char *name)
{
    size_t len = strlen (name);
    if (strncmp (argv [i], name, len) != 0)
        return NULL;
    const char *value = NULL;
    int used = 1;
    if (argv [i] [len] == '=')
        value = argv [i] + len + 1;
    else
    if (argv [i] [len] == 0) {
        if (i + 1 >= *argc)
            cli_die (CLI_EXIT_USAGE, "%s needs a value", name);
        value = argv [i + 1];
        used = 2;
    }
    else
        return NULL;
    memmove (&argv [i], &argv [i + used], (size_t) (*argc - i - used + 1) * sizeof *argv);
    *argc -= used;
    return value;
}

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
    //  our commands handle SIGINT and SIGTERM themselves; CZMQ's handler
    //  would replace theirs the moment the first socket opens
    zsys_handler_set (NULL);
    zc_log_set_name ("zchain");
    zc_log_set_level (ZC_LOG_WARN);
    cli_t cli = { 0 };
    cli.datadir = getenv ("ZC_DATADIR") ? getenv ("ZC_DATADIR") : "./data";
    cli.network = getenv ("ZC_NETWORK") ? getenv ("ZC_NETWORK") : "regtest";
    cli.wallet = getenv ("ZC_WALLET");
    cli.passphrase_file = getenv ("ZC_PASSPHRASE_FILE") && *getenv ("ZC_PASSPHRASE_FILE")
                        ? getenv ("ZC_PASSPHRASE_FILE") : NULL;
    cli.node = getenv ("ZC_NODE") && *getenv ("ZC_NODE") ? getenv ("ZC_NODE") : NULL;
    cli.notify = getenv ("ZC_NODE_NOTIFY") && *getenv ("ZC_NODE_NOTIFY") ? getenv ("ZC_NODE_NOTIFY") : NULL;
    cli.keys = getenv ("ZC_KEYS") && *getenv ("ZC_KEYS") ? getenv ("ZC_KEYS") : NULL;
    for (int i = 1; i < argc; ) {
        const char *v;
        if ((v = s_take (&argc, argv, i, "--datadir")))
            cli.datadir = v;
        else
        if ((v = s_take (&argc, argv, i, "--network")))
            cli.network = v;
        else
        if ((v = s_take (&argc, argv, i, "--wallet")))
            cli.wallet = v;
        else
        if ((v = s_take (&argc, argv, i, "--passphrase-file")))
            cli.passphrase_file = v;
        else
        if ((v = s_take (&argc, argv, i, "--node")))
            cli.node = v;
        else
        if ((v = s_take (&argc, argv, i, "--keys")))
            cli.keys = v;
        else
        if (!strcmp (argv [i], "--json")) {
            cli.json = true;
            memmove (&argv [i], &argv [i + 1], (size_t) (argc - i) * sizeof *argv);
            argc--;
        }
        else
            i++;
    }
    cli.params = zc_params_by_name (cli.network);
    if (!cli.params)
        cli_die (CLI_EXIT_USAGE, "--network: '%s' is not regtest or devnet", cli.network);
    if (!cli.wallet) {
        snprintf (cli.wallet_buf, sizeof cli.wallet_buf, "%s/wallet.key", cli.datadir);
        cli.wallet = cli.wallet_buf;
    }
    //  the keys zchain up made for the node in DATADIR, when there are some
    struct stat st;
    snprintf (cli.keys_buf, sizeof cli.keys_buf, "%s/keys", cli.datadir);
    if (!cli.keys && stat (cli.keys_buf, &st) == 0 && S_ISDIR (st.st_mode))
        cli.keys = cli.keys_buf;
    if (argc < 2) {
        s_usage (stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv [1];
    if (!strcmp (name, "--help") || !strcmp (name, "-h") || !strcmp (name, "help")) {
        s_usage (stdout);
        return 0;
    }
    if (!strcmp (name, "--version") || !strcmp (name, "version")) {
        printf ("zchain 0.1.0\n");
        return 0;
    }
    for (const cli_command_t *c = s_commands; c->name; c++)
        if (!strcmp (c->name, name)) {
            int rc = c->fn (&cli, argc - 1, argv + 1);
            zc_keys_destroy (&cli.keyset);
            return rc;
        }
    cli_die (CLI_EXIT_USAGE, "unknown command '%s' (try zchain --help)", name);
}
