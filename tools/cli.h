/*  cli.h - what the zchain tool's commands share: global options, output, errors
 *
 *  Each command is a function in a cmd_*.c file and one row of the table
 *  in zchain.c. A command gets the global options already parsed and its
 *  own arguments (argv [0] is its name); it returns the exit status.
 *  Errors are one line on stderr, "zchain: <reason>", exit 1 (2 for usage).
 */
#ifndef CLI_H_INCLUDED
#define CLI_H_INCLUDED

#include "zc_auth.h"
#include "zc_params.h"

#include <stdbool.h>
#include <stdio.h>

#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

typedef struct {
    const char *datadir;                //  --datadir, ZC_DATADIR, ./data
    const char *network;                //  --network, ZC_NETWORK, regtest
    const char *wallet;                 //  --wallet, ZC_WALLET, DATADIR/wallet.key
    const char *passphrase_file;        //  --passphrase-file, ZC_PASSPHRASE_FILE
    const char *node;                   //  --node, ZC_NODE: a gateway api endpoint
    const char *notify;                 //  ZC_NODE_NOTIFY: its notifications endpoint
    const char *keys;                   //  --keys, ZC_KEYS, DATADIR/keys when it is there
    zc_keys_t *keyset;                  //  loaded from keys on first use (node_keys)
    bool json;                          //  --json
    const zc_params_t *params;
    char wallet_buf [4096];
    char keys_buf [4096];
} cli_t;

typedef int (cli_fn) (cli_t *cli, int argc, char **argv);

typedef struct {
    const char *name;
    const char *usage;                  //  arguments, for help
    const char *summary;
    cli_fn *fn;
} cli_command_t;

//  Print "zchain: <reason>" and exit with code.
void
    cli_die (int code, const char *format, ...)
    __attribute__ ((format (printf, 2, 3), noreturn));

//  True when argv holds -h or --help.
bool
    cli_wants_help (int argc, char **argv);

//  Create the data directory (mode 0700) if missing, tighten it to 0700 if
//  others can read it; exits on failure.
void
    cli_ensure_datadir (cli_t *cli);

//  The commands
int cmd_wallet (cli_t *cli, int argc, char **argv);
int cmd_up (cli_t *cli, int argc, char **argv);
int cmd_net (cli_t *cli, int argc, char **argv);
int cmd_status (cli_t *cli, int argc, char **argv);
int cmd_peers (cli_t *cli, int argc, char **argv);
int cmd_ping (cli_t *cli, int argc, char **argv);
int cmd_balance (cli_t *cli, int argc, char **argv);
int cmd_send (cli_t *cli, int argc, char **argv);
int cmd_history (cli_t *cli, int argc, char **argv);
int cmd_estimatefee (cli_t *cli, int argc, char **argv);
int cmd_bumpfee (cli_t *cli, int argc, char **argv);
int cmd_tx (cli_t *cli, int argc, char **argv);
int cmd_block (cli_t *cli, int argc, char **argv);
int cmd_mempool (cli_t *cli, int argc, char **argv);
int cmd_watch (cli_t *cli, int argc, char **argv);
int cmd_bench (cli_t *cli, int argc, char **argv);
int cmd_propagate (cli_t *cli, int argc, char **argv);
int cmd_keys (cli_t *cli, int argc, char **argv);

#endif
