/*  wallet_open.c - wallet files and passphrases for the commands */
#include "wallet_open.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

//  One line from the terminal with echo off; false when there is none
static bool
s_ask (const char *prompt, char *out, size_t size)
{
    int fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct termios old, quiet;
    bool tty = tcgetattr (fd, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t) ECHO;
        tcsetattr (fd, TCSAFLUSH, &quiet);
    }
    ssize_t wrote = write (fd, prompt, strlen (prompt));
    size_t n = 0;
    char c;
    while (n + 1 < size && read (fd, &c, 1) == 1 && c != '\n')
        out [n++] = c;
    out [n] = 0;
    if (tty)
        tcsetattr (fd, TCSAFLUSH, &old);
    wrote = write (fd, "\n", 1);
    (void) wrote;                       //  a prompt that cannot be shown still reads
    close (fd);
    return true;
}

static void
s_read_file (const char *file, char out [WALLET_PASS_MAX])
{
    FILE *f = fopen (file, "r");
    if (!f)
        cli_die (CLI_EXIT_FAIL, "cannot read the passphrase file %s", file);
    if (!fgets (out, WALLET_PASS_MAX, f))
        out [0] = 0;
    fclose (f);
    out [strcspn (out, "\r\n")] = 0;
}

void
wallet_passphrase (cli_t *cli, const char *file, const char *prompt, bool confirm,
                   char out [WALLET_PASS_MAX])
{
    if (!file)
        file = cli->passphrase_file;
    if (file && *file)
        s_read_file (file, out);
    else {
        if (!isatty (STDIN_FILENO) || !s_ask (prompt, out, WALLET_PASS_MAX))
            cli_die (CLI_EXIT_FAIL, "the wallet needs a passphrase and there is no terminal to ask: "
                     "--passphrase-file FILE or ZC_PASSPHRASE_FILE");
        if (confirm) {
            char again [WALLET_PASS_MAX];
            s_ask ("the same again: ", again, sizeof again);
            bool same = strcmp (again, out) == 0;
            explicit_bzero (again, sizeof again);
            if (!same) {
                explicit_bzero (out, WALLET_PASS_MAX);
                cli_die (CLI_EXIT_FAIL, "the two passphrases differ; nothing was changed");
            }
        }
    }
    if (!out [0])
        cli_die (CLI_EXIT_FAIL, "an empty passphrase (--no-passphrase makes a wallet without one)");
}

void
wallet_unlock (cli_t *cli, zc_wallet_t *wallet)
{
    if (!zc_wallet_is_locked (wallet))
        return;
    char pass [WALLET_PASS_MAX], err [512];
    wallet_passphrase (cli, NULL, "wallet passphrase: ", false, pass);
    int rc = zc_wallet_unlock (wallet, pass, err, sizeof err);
    explicit_bzero (pass, sizeof pass);
    if (rc)
        cli_die (CLI_EXIT_FAIL, "%s", err);
}

zc_wallet_t *
wallet_open (cli_t *cli, bool unlock)
{
    char err [512];
    zc_wallet_t *wallet = zc_wallet_load (cli->wallet, err, sizeof err);
    if (!wallet)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    if (zc_wallet_format (wallet) == 2 && strcmp (zc_wallet_network (wallet), cli->params->name))
        cli_die (CLI_EXIT_FAIL, "%s is a wallet for %s, not %s", cli->wallet,
                 zc_wallet_network (wallet), cli->params->name);
    if (zc_wallet_format (wallet) == 2 && !zc_wallet_is_encrypted (wallet))
        fprintf (stderr, "zchain: warning: %s has no passphrase: anyone who reads the file can "
                 "spend its coins (zchain wallet passphrase sets one)\n", cli->wallet);
    if (unlock)
        wallet_unlock (cli, wallet);
    return wallet;
}
