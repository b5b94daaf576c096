/*  cmd_keys.c - zchain keys init | export | show: the node's CURVE keys
 *
 *  One keypair per role (storage, mempool, validator, miner, gateway,
 *  metrics, operator) as CZMQ certificates: ROLE.key public, ROLE.key_secret
 *  secret (0600). zchain up makes DATADIR/keys by itself; a cluster of
 *  containers makes one directory with init and gives each container its
 *  own secret and the public keys with export (compose.yaml's keys step).
 */
#include "cli.h"
#include "zc_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROLE_FIRST ZC_ROLE_STORAGE
#define ROLE_LAST ZC_ROLE_OPERATOR

static void
s_help (FILE *out)
{
    fprintf (out,
        "usage: zchain keys init DIR [ROLE ...] [--force]\n"
        "       zchain keys export DIR OUTDIR ROLE [ROLE ...]\n"
        "       zchain keys show [DIR]\n\n"
        "The node's CURVE keys, one pair per role: storage, mempool, validator, miner,\n"
        "gateway, metrics and operator (the CLI). A service started with --keys DIR lets\n"
        "in only the roles its sockets admit (docs/operations.md, Security), so a process\n"
        "without the node's keys cannot take validation work, report metrics or give\n"
        "operator commands.\n\n"
        "  init     make the keypairs of the roles named (all when none) in DIR (mode\n"
        "           0700): DIR/ROLE.key public, DIR/ROLE.key_secret secret (0600). Keys\n"
        "           already there are kept; --force replaces them (every service must then\n"
        "           be given the new ones). zchain up does this in DATADIR/keys.\n"
        "  export   put every public key of DIR and the secrets of the roles named into\n"
        "           OUTDIR, and no other secret: what one container needs\n"
        "  show     each role's public key and whether its secret is there (default DIR:\n"
        "           --keys, or DATADIR/keys)\n");
}

static zc_role_t
s_role (const char *name)
{
    int role = zc_role_by_name (name);
    if (role < ROLE_FIRST || role > ROLE_LAST)
        cli_die (CLI_EXIT_USAGE, "'%s' is not a role: storage, mempool, validator, miner, gateway, "
                 "metrics or operator", name);
    return (zc_role_t) role;
}

static int
s_init (int argc, char **argv)
{
    const char *dir = NULL;
    bool force = false, wanted [ZC_ROLE_COUNT_] = { false }, any = false;
    for (int i = 2; i < argc; i++) {
        if (!strcmp (argv [i], "--force"))
            force = true;
        else
        if (!dir)
            dir = argv [i];
        else {
            wanted [s_role (argv [i])] = true;
            any = true;
        }
    }
    if (!dir)
        cli_die (CLI_EXIT_USAGE, "keys init: which directory? (zchain keys init DIR)");
    char err [700];
    for (int r = ROLE_FIRST; r <= ROLE_LAST; r++) {
        if (any && !wanted [r])
            continue;
        int rc = zc_keys_generate (dir, (zc_role_t) r, force, err, sizeof err);
        if (rc < 0)
            cli_die (CLI_EXIT_FAIL, "%s", err);
        printf ("%-9s %s\n", zc_role_name ((zc_role_t) r), rc ? "created" : "kept");
    }
    return 0;
}

//  Copy src to dst with mode, through a temporary name; 0, or -1 with err
static int
s_copy (const char *src, const char *dst, mode_t mode, char *err, size_t err_size)
{
    char tmp [700];
    snprintf (tmp, sizeof tmp, "%s.tmp", dst);
    int in = open (src, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = in < 0 || out < 0 ? -1 : 0;
    char buf [4096];
    ssize_t n;
    while (rc == 0 && (n = read (in, buf, sizeof buf)) != 0)
        if (n < 0 || write (out, buf, (size_t) n) != n)
            rc = -1;
    if (out >= 0 && (fchmod (out, mode) || close (out)))
        rc = -1;
    if (in >= 0)
        close (in);
    if (rc == 0)
        rc = rename (tmp, dst);
    if (rc) {
        snprintf (err, err_size, "cannot copy %s to %s: %s", src, dst, strerror (errno));
        unlink (tmp);
    }
    return rc;
}

static int
s_export (int argc, char **argv)
{
    if (argc < 5)
        cli_die (CLI_EXIT_USAGE, "keys export DIR OUTDIR ROLE [ROLE ...]");
    const char *dir = argv [2], *out = argv [3];
    bool wanted [ZC_ROLE_COUNT_] = { false };
    for (int i = 4; i < argc; i++)
        wanted [s_role (argv [i])] = true;
    if (mkdir (out, 0700) && errno != EEXIST)
        cli_die (CLI_EXIT_FAIL, "cannot create %s: %s", out, strerror (errno));
    char err [1600], src [600], dst [600];
    for (int r = ROLE_FIRST; r <= ROLE_LAST; r++) {
        const char *name = zc_role_name ((zc_role_t) r);
        snprintf (src, sizeof src, "%s/%s.key", dir, name);
        snprintf (dst, sizeof dst, "%s/%s.key", out, name);
        if (access (src, F_OK) == 0 && s_copy (src, dst, 0644, err, sizeof err))
            cli_die (CLI_EXIT_FAIL, "%s", err);
        snprintf (src, sizeof src, "%s/%s.key_secret", dir, name);
        snprintf (dst, sizeof dst, "%s/%s.key_secret", out, name);
        if (!wanted [r]) {
            //  a secret this container should not hold is not left behind
            if (unlink (dst) && errno != ENOENT)
                cli_die (CLI_EXIT_FAIL, "cannot remove %s: %s", dst, strerror (errno));
            continue;
        }
        if (access (src, F_OK))
            cli_die (CLI_EXIT_FAIL, "no %s secret in %s (zchain keys init %s)", name, dir, dir);
        if (s_copy (src, dst, 0600, err, sizeof err))
            cli_die (CLI_EXIT_FAIL, "%s", err);
    }
    return 0;
}

static int
s_show (cli_t *cli, int argc, char **argv)
{
    const char *dir = argc > 2 ? argv [2] : cli->keys;
    if (!dir)
        cli_die (CLI_EXIT_USAGE, "keys show: which directory? (--keys DIR, or DATADIR/keys)");
    char err [700];
    zc_keys_t *keys = zc_keys_load (dir, ZC_ROLE_NONE, err, sizeof err);
    if (!keys)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    if (cli->json)
        printf ("{\"dir\":\"%s\",\"roles\":[", dir);
    for (int r = ROLE_FIRST; r <= ROLE_LAST; r++) {
        const uint8_t *pub = zc_keys_public (keys, (zc_role_t) r);
        char z85 [41] = "-", path [600];
        if (pub)
            zmq_z85_encode (z85, pub, 32);
        snprintf (path, sizeof path, "%s/%s.key_secret", dir, zc_role_name ((zc_role_t) r));
        bool secret = access (path, F_OK) == 0;
        if (cli->json)
            printf ("%s{\"role\":\"%s\",\"public\":\"%s\",\"secret\":%s}", r > ROLE_FIRST ? "," : "",
                    zc_role_name ((zc_role_t) r), pub ? z85 : "", secret ? "true" : "false");
        else
            printf ("%-9s %s  %s\n", zc_role_name ((zc_role_t) r), z85, secret ? "secret" : "");
    }
    if (cli->json)
        printf ("]}\n");
    zc_keys_destroy (&keys);
    return 0;
}

int
cmd_keys (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv) || argc < 2) {
        s_help (argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    if (!strcmp (argv [1], "init"))
        return s_init (argc, argv);
    if (!strcmp (argv [1], "export"))
        return s_export (argc, argv);
    if (!strcmp (argv [1], "show"))
        return s_show (cli, argc, argv);
    cli_die (CLI_EXIT_USAGE, "keys: unknown subcommand '%s' (init, export or show)", argv [1]);
}
