/*  cmd_net.c - zchain net up N: a network of N local nodes to try things on
 *
 *  Node k (1..N) is `zchain up` in DATADIR/nodeK with HTTP on BASE+10k,
 *  metrics on BASE+10k+1 and p2p on BASE+10k+2; every node after the first
 *  bootstraps from node 1. Node 1 mines, the others mine with --miners.
 *  Ctrl-C (or SIGTERM) stops every node, each in its own orderly way.
 */
#include "cli.h"
#include "zc_time.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NET_MAX 128

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

static void
s_help (void)
{
    printf ("usage: zchain net up N [--base-port P] [--miners M] [--block-interval MS]\n\n"
            "Run N local nodes (at most %d) that form one network through node 1, each\n"
            "a whole `zchain up` in DATADIR/nodeK with its logs there. Node k listens\n"
            "for HTTP on P+10k, metrics on P+10k+1 and peers on P+10k+2 (P: 17700).\n"
            "The first M nodes mine (default 1). Ctrl-C stops them all.\n\n"
            "  zchain --datadir DATADIR/node2 peers     the links of node 2\n", NET_MAX);
}

static long
s_number (const char *text, const char *name, long min, long max)
{
    char *end;
    long n = strtol (text, &end, 10);
    if (*end || n < min || n > max)
        cli_die (CLI_EXIT_USAGE, "%s: '%s' is not a number from %ld to %ld", name, text, min, max);
    return n;
}

int
cmd_net (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv) || argc < 2) {
        s_help ();
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    if (strcmp (argv [1], "up") != 0)
        cli_die (CLI_EXIT_USAGE, "net: unknown subcommand '%s' (try zchain net --help)", argv [1]);
    if (argc < 3)
        cli_die (CLI_EXIT_USAGE, "net up: how many nodes? (zchain net up N)");
    int n = (int) s_number (argv [2], "N", 1, NET_MAX);
    long base = 17700, miners = 1;
    const char *interval = "1000";
    for (int i = 3; i < argc; i++) {
        if (strcmp (argv [i], "--base-port") == 0 && i + 1 < argc)
            base = s_number (argv [++i], "--base-port", 1024, 65535 - 10 * NET_MAX - 3);
        else
        if (strcmp (argv [i], "--miners") == 0 && i + 1 < argc)
            miners = s_number (argv [++i], "--miners", 0, n);
        else
        if (strcmp (argv [i], "--block-interval") == 0 && i + 1 < argc)
            interval = argv [++i];
        else
            cli_die (CLI_EXIT_USAGE, "net up: unknown option '%s' (try zchain net --help)", argv [i]);
    }
    cli_ensure_datadir (cli);
    char self_path [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", self_path, sizeof self_path - 1);
    if (len <= 0)
        cli_die (CLI_EXIT_FAIL, "cannot find where zchain is installed");
    self_path [len] = 0;

    struct sigaction sa = { .sa_handler = s_on_signal };
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    pid_t pid [NET_MAX] = { 0 };
    for (int k = 1; k <= n; k++) {
        char dir [PATH_MAX + 16], http [32], metrics [32], p2p [32], boot [32], log [PATH_MAX + 32];
        char miners_arg [8];
        long port = base + 10 * k;
        snprintf (dir, sizeof dir, "%s/node%d", cli->datadir, k);
        snprintf (http, sizeof http, "127.0.0.1:%ld", port);
        snprintf (metrics, sizeof metrics, "127.0.0.1:%ld", port + 1);
        snprintf (p2p, sizeof p2p, "127.0.0.1:%ld", port + 2);
        snprintf (boot, sizeof boot, "127.0.0.1:%ld", base + 12);
        snprintf (miners_arg, sizeof miners_arg, "%d", k <= miners ? 1 : 0);
        snprintf (log, sizeof log, "%s/node%d.log", cli->datadir, k);
        fflush (stdout);
        pid [k - 1] = fork ();
        if (pid [k - 1] == 0) {
            signal (SIGINT, SIG_IGN);   //  the terminal's Ctrl-C is ours to pass on
            FILE *out = freopen (log, "a", stdout);
            (void) out;
            dup2 (STDOUT_FILENO, STDERR_FILENO);
            char *args [] = { self_path, (char *) "--datadir", dir, (char *) "--network",
                              (char *) cli->network, (char *) "up", (char *) "--http", http,
                              (char *) "--metrics", metrics, (char *) "--p2p", p2p,
                              (char *) "--miners", miners_arg, (char *) "--validators", (char *) "1",
                              (char *) "--block-interval", (char *) interval,
                              k > 1 ? (char *) "--bootstrap" : NULL, boot, NULL };
            execv (self_path, args);
            _exit (127);
        }
        printf ("node %-2d %s/node%d  http http://%s  metrics http://%s/metrics  p2p tcp://%s%s\n",
                k, cli->datadir, k, http, metrics, p2p, k <= miners ? "  (mining)" : "");
    }
    printf ("%d node(s) up; logs in %s/nodeK.log; Ctrl-C stops them\n", n, cli->datadir);
    fflush (stdout);
    int alive = n;
    bool stopping = false;
    while (alive > 0) {
        if (s_stop && !stopping) {
            for (int k = 0; k < n; k++)
                if (pid [k] > 0)
                    kill (pid [k], SIGTERM);
            stopping = true;
        }
        int status;
        pid_t done = waitpid (-1, &status, 0);
        if (done < 0 && errno == ECHILD)
            break;
        for (int k = 0; done > 0 && k < n; k++)
            if (pid [k] == done) {
                pid [k] = 0;
                alive--;
                if (!stopping)
                    fprintf (stderr, "zchain: node %d ended (see %s/node%d.log)\n", k + 1,
                             cli->datadir, k + 1);
            }
    }
    return 0;
}
