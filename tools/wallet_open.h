/*  wallet_open.h - the commands' way to a wallet: its file, its passphrase
 *
 *  A passphrase comes from a file (--passphrase-file, ZC_PASSPHRASE_FILE:
 *  its first line) or, when there is none, from the terminal with echo
 *  off; a command with neither exits with the reason rather than wait on
 *  a pipe.
 */
#ifndef WALLET_OPEN_H_INCLUDED
#define WALLET_OPEN_H_INCLUDED

#include "cli.h"
#include "zc_wallet.h"

#define WALLET_PASS_MAX 1024

//  Read a passphrase: from file (NULL: cli's --passphrase-file; "": none), else
//  asked with prompt on the terminal (twice when confirm). Exits with a
//  reason when there is neither, it is empty or the two differ.
void
    wallet_passphrase (cli_t *cli, const char *file, const char *prompt, bool confirm,
                       char out [WALLET_PASS_MAX]);

//  The wallet at cli->wallet, which must be for cli's network; unlocked
//  (asking for its passphrase) when unlock. Warns once on stderr when a
//  deterministic wallet has no passphrase. Exits with a reason.
zc_wallet_t *
    wallet_open (cli_t *cli, bool unlock);

//  Unlock wallet with its passphrase; exits with a reason.
void
    wallet_unlock (cli_t *cli, zc_wallet_t *wallet);

#endif
