/*  cmd_up.c - zchain up: a whole node as supervised local processes
 *
 *  Starts storage, mempool, the validators, the miners, the gateway and the
 *  metrics sidecar, each its own process with its log in DATADIR/logs,
 *  talking over ipc:// sockets in DATADIR/run, every one of them CURVE with
 *  the node's keys in DATADIR/keys (made on first start). A service that dies is
 *  started again after a pause that doubles up to 30 s (and resets once it
 *  has stayed up a minute). One that is alive but does not answer (storage,
 *  the mempool and the gateway get a PING every 2 s on their api) for
 *  --liveness seconds, once it has answered since it started, is killed
 *  (-9) and started again the same way. Ctrl-C or SIGTERM stops them in
 *  order: miners and the gateway first, storage last.
 */
#include "cli.h"
#include "http_get.h"
#include "node.h"
#include "zc_autoscale.h"
#include "zc_bech32.h"
#include "zc_hex.h"
#include "zc_log.h"
#include "zc_private.h"
#include "zc_time.h"
#include "zc_wallet.h"
#include "envelope.pb-c.h"
#include "events.pb-c.h"
#include "gateway.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 64
#define MAX_ARGS 80                     //  a gateway with 16 bootstrap nodes has 64
#define PING_EVERY_MS 2000              //  and each may take as long to come back
#define SCALE_EVERY_MS 1000             //  the sidecar's answer is as fresh as that
#define MAX_VALIDATORS 16

typedef struct {
    char name [32];                     //  instance name, and its log's
    char program [PATH_MAX + 32];
    char *argv [MAX_ARGS];
    int argc;
    int stage;                          //  stop order: 0 first
    pid_t pid;
    int64_t started_ms;
    int64_t restart_at_ms;
    int64_t backoff_ms;
    int restarts;
    bool parked;                        //  a validator the policy does not want now
    //  liveness, for a service with an api
    const char *api;
    zc_sock_t api_sock;                 //  which api it is (for its server key)
    zsock_t *pinger;                    //  DEALER to the api
    uint64_t ping_id;                   //  the PING on its way (0: none)
    int64_t ping_sent_ms;
    int misses;                         //  unanswered in a row
    bool answered;                      //  since it was started
} s_child_t;

typedef struct {
    cli_t *cli;
    char bindir [PATH_MAX];
    char datadir [PATH_MAX];
    char ep [16] [NODE_ENDPOINT_MAX];
    s_child_t child [MAX_CHILDREN];
    int n_children;
    int miners;
    int validators;                     //  running now (the policy's, between min and max)
    int validators_min;
    int validators_max;                 //  more than min: scaled by the policy
    const char *scale_window;           //  seconds, for the sidecar (NULL: its default)
    const char *scale_target;           //  backlog jobs per validator (NULL: its default)
    int64_t next_scale_ms;
    char scale_note [160];              //  the last failure to read the policy, said once
    const char *http;
    const char *metrics_http;
    const char *block_interval;
    const char *log_level;
    const char *mempool_db;             //  NULL: DATADIR/mempool
    int liveness_s;                     //  0: no pings
    uint64_t next_ping_id;
    const char *p2p;                    //  HOST:PORT, or NULL for a node without peers
    const char *p2p_advertise;
    const char *bootstrap [16];
    int n_bootstrap;
    bool curve;                         //  --p2p-curve
    char p2p_key [65];                  //  our CURVE public key (hex)
    char keys [PATH_MAX + 8];           //  DATADIR/keys: every service's CURVE keys
    char address [ZC_ADDRESS_MAX];
} s_up_t;

enum { EP_STORAGE_API, EP_STORAGE_EVENTS, EP_STORAGE_WORK, EP_MEMPOOL_API, EP_MEMPOOL_EVENTS,
       EP_MEMPOOL_WORK, EP_GATEWAY_API, EP_NOTIFY, EP_METRICS };

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;                         //  the loop does the work
}

static void
s_help (FILE *out)
{
    fprintf (out,
        "usage: zchain up [--miners N] [--validators N|MIN..MAX] [--http HOST:PORT] [--metrics HOST:PORT]\n"
        "                 [--block-interval MS] [--log-level LEVEL] [--mempool-db DIR]\n"
        "                 [--liveness S]\n"
        "                 [--p2p HOST:PORT [--advertise HOST:PORT] [--bootstrap HOST:PORT ...]]\n\n"
        "Start a whole node here: storage, mempool, validators, miners, gateway and the\n"
        "metrics sidecar as separate processes over ipc:// sockets in DATADIR/run, with\n"
        "logs in DATADIR/logs. A crashed service is restarted. Ctrl-C stops everything.\n"
        "On first start it creates a wallet in DATADIR and mines to it.\n\n"
        "  --miners N          miner processes (default 1; 0: do not mine)\n"
        "  --validators N      validator processes (default 2)\n"
        "  --validators MIN..MAX  as many as the backlog needs (e.g. 1..4): the\n"
        "                      sidecar's scaling policy decides, zchain up starts\n"
        "                      and stops them (see docs/operations.md, Autoscaling)\n"
        "  --autoscale-window S  seconds the backlog must stay low before a\n"
        "                      validator is stopped (default 300)\n"
        "  --autoscale-target J  backlog jobs per validator aimed at (default 2)\n"
        "  --http HOST:PORT    HTTP api and the block explorer at / (default\n"
        "                      127.0.0.1:7780; \"\" for none; ZC_EXPLORER=false: no explorer)\n"
        "  --metrics HOST:PORT metrics sidecar /metrics (default 127.0.0.1:7790)\n"
        "  --block-interval MS regtest: milliseconds between blocks (default 1000)\n"
        "  --log-level LEVEL   debug, info, warn or error (default info)\n"
        "  --mempool-db DIR    the mempool's store (default DATADIR/mempool), e.g. on\n"
        "                      a filesystem of its own\n"
        "  --liveness S        kill (-9) and restart storage, the mempool or the\n"
        "                      gateway when it answers no ping for S seconds\n"
        "                      (default 10; 0: only restart what dies)\n"
        "  --p2p HOST:PORT     join a network: accept peers here (e.g. 0.0.0.0:7770)\n"
        "  --advertise H:P     the address other nodes dial (default: --p2p)\n"
        "  --bootstrap H:P     a node to ask for peers (repeatable); known peers are\n"
        "                      kept in DATADIR/peers across restarts\n"
        "  --p2p-curve         encrypt every peer link (CURVE); bootstrap addresses\n"
        "                      then end in #KEY, the key zchain up prints\n\n"
        "The services talk CURVE with the node's keys in DATADIR/keys (made on first\n"
        "start; zchain keys show lists them) and let in no other key.\n");
}

static void
s_arg (s_child_t *c, const char *arg)
{
    if (c->argc < MAX_ARGS - 1)
        c->argv [c->argc++] = strdup (arg);
    c->argv [c->argc] = NULL;
}

static void
s_flag (s_child_t *c, const char *flag, const char *value)
{
    s_arg (c, flag);
    s_arg (c, value);
}

static s_child_t *
s_child (s_up_t *up, const char *service, const char *instance, int stage)
{
    s_child_t *c = &up->child [up->n_children++];
    memset (c, 0, sizeof *c);
    snprintf (c->name, sizeof c->name, "%s", instance);
    snprintf (c->program, sizeof c->program, "%s/zchain-%s", up->bindir, service);
    c->stage = stage;
    c->backoff_ms = 1000;
    s_arg (c, c->program);
    s_flag (c, "--instance", instance);
    s_flag (c, "--network", up->cli->network);
    s_flag (c, "--metrics", up->ep [EP_METRICS]);
    s_flag (c, "--log-level", up->log_level);
    s_flag (c, "--keys", up->keys);
    return c;
}

static void
s_plan (s_up_t *up)
{
    char path [PATH_MAX + 32], name [32];
    s_child_t *c = s_child (up, "metrics", "metrics", 0);
    s_flag (c, "--ingest", up->ep [EP_METRICS]);
    s_flag (c, "--http", up->metrics_http);
    snprintf (name, sizeof name, "%d..%d", up->validators_min, up->validators_max);
    s_flag (c, "--autoscale-validators", name);
    if (up->scale_window)
        s_flag (c, "--autoscale-window", up->scale_window);
    if (up->scale_target)
        s_flag (c, "--autoscale-target", up->scale_target);

    c = s_child (up, "storage", "storage", 3);
    snprintf (path, sizeof path, "%s/chain", up->datadir);
    s_flag (c, "--db", path);
    s_flag (c, "--api", up->ep [EP_STORAGE_API]);
    s_flag (c, "--events", up->ep [EP_STORAGE_EVENTS]);
    s_flag (c, "--work", up->ep [EP_STORAGE_WORK]);
    s_flag (c, "--mempool-events", up->ep [EP_MEMPOOL_EVENTS]);
    c->api = up->ep [EP_STORAGE_API];
    c->api_sock = ZC_SOCK_STORAGE_API;

    c = s_child (up, "mempool", "mempool", 2);
    c->api = up->ep [EP_MEMPOOL_API];
    c->api_sock = ZC_SOCK_MEMPOOL_API;
    snprintf (path, sizeof path, "%s/mempool", up->datadir);
    s_flag (c, "--db", up->mempool_db ? up->mempool_db : path);
    s_flag (c, "--api", up->ep [EP_MEMPOOL_API]);
    s_flag (c, "--events", up->ep [EP_MEMPOOL_EVENTS]);
    s_flag (c, "--work", up->ep [EP_MEMPOOL_WORK]);
    s_flag (c, "--storage-api", up->ep [EP_STORAGE_API]);
    s_flag (c, "--storage-events", up->ep [EP_STORAGE_EVENTS]);

    //  every validator the policy may want, the ones above the floor parked
    for (int i = 1; i <= up->validators_max; i++) {
        snprintf (name, sizeof name, "validator-%d", i);
        c = s_child (up, "validator", name, 2);
        s_flag (c, "--storage-work", up->ep [EP_STORAGE_WORK]);
        s_flag (c, "--mempool-work", up->ep [EP_MEMPOOL_WORK]);
        c->parked = i > up->validators_min;
    }
    up->validators = up->validators_min;
    for (int i = 1; i <= up->miners; i++) {
        snprintf (name, sizeof name, "miner-%d", i);
        c = s_child (up, "miner", name, 0);
        s_flag (c, "--address", up->address);
        s_flag (c, "--mempool-api", up->ep [EP_MEMPOOL_API]);
        s_flag (c, "--storage-api", up->ep [EP_STORAGE_API]);
        s_flag (c, "--storage-events", up->ep [EP_STORAGE_EVENTS]);
        s_flag (c, "--block-interval", up->block_interval);
    }
    c = s_child (up, "gateway", "gateway", 1);
    c->api = up->ep [EP_GATEWAY_API];
    c->api_sock = ZC_SOCK_GATEWAY_API;
    s_flag (c, "--api", up->ep [EP_GATEWAY_API]);
    s_flag (c, "--notify", up->ep [EP_NOTIFY]);
    s_flag (c, "--http", up->http);
    s_flag (c, "--storage-api", up->ep [EP_STORAGE_API]);
    s_flag (c, "--storage-events", up->ep [EP_STORAGE_EVENTS]);
    s_flag (c, "--mempool-api", up->ep [EP_MEMPOOL_API]);
    s_flag (c, "--mempool-events", up->ep [EP_MEMPOOL_EVENTS]);
    if (up->p2p) {
        char endpoint [300];
        snprintf (endpoint, sizeof endpoint, "tcp://%s", up->p2p);
        s_flag (c, "--p2p", endpoint);
        if (up->p2p_advertise) {
            snprintf (endpoint, sizeof endpoint, "tcp://%s", up->p2p_advertise);
            s_flag (c, "--p2p-advertise", endpoint);
        }
        for (int i = 0; i < up->n_bootstrap; i++) {
            snprintf (endpoint, sizeof endpoint, "tcp://%s", up->bootstrap [i]);
            s_flag (c, "--bootstrap", endpoint);
        }
        snprintf (path, sizeof path, "%s/peers", up->datadir);
        s_flag (c, "--peers-file", path);
        if (up->curve)
            s_arg (c, "--p2p-curve");
    }
}

static void
s_spawn (s_up_t *up, s_child_t *c)
{
    char log [PATH_MAX + 64];
    snprintf (log, sizeof log, "%s/logs/%s.log", up->datadir, c->name);
    pid_t pid = fork ();
    if (pid < 0) {
        c->restart_at_ms = zc_mono_ms () + c->backoff_ms;
        return;
    }
    if (pid == 0) {
        //  our own process group: a terminal's Ctrl-C reaches only zchain up,
        //  which then stops the services in order
        setpgid (0, 0);
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        signal (SIGINT, SIG_DFL);
        signal (SIGTERM, SIG_DFL);
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2 (fd, STDOUT_FILENO);
            dup2 (fd, STDERR_FILENO);
        }
        execv (c->program, c->argv);
        fprintf (stderr, "cannot run %s: %s\n", c->program, strerror (errno));
        _exit (127);
    }
    c->pid = pid;
    c->started_ms = zc_mono_ms ();
    c->answered = false;
    c->misses = 0;
    c->ping_id = 0;
}

//  A PING on each service's api every PING_EVERY_MS; one that answered
//  since it started and then misses --liveness seconds of them in a row is
//  alive but stuck (a loop that does not turn, SIGSTOP): killed, and
//  s_reap starts it again. Before its first answer the service may still
//  be starting; its own watchdog covers that.
static void
s_liveness (s_up_t *up, s_child_t *c, int64_t now)
{
    if (!c->api || c->pid <= 0 || up->liveness_s == 0)
        return;
    char err [256];
    //  as the operator: every api of the node lets the operator's key in
    const zc_keys_t *keys = node_keys (up->cli);
    if (!c->pinger)
        c->pinger = keys ? zc_zmq_open_auth (ZMQ_DEALER, c->api, false, 16, keys, c->api_sock, err,
                                             sizeof err)
                         : zc_zmq_open (ZMQ_DEALER, c->api, false, 16, err, sizeof err);
    if (!c->pinger)
        return;
    while (zsock_events (c->pinger) & ZMQ_POLLIN) {
        zc_frames_t frames;
        if (zc_frames_recv (c->pinger, &frames, ZMQ_DONTWAIT))
            break;
        zc_env_t env;
        if (zc_frames_envelope (&frames, &env) == ZC_OK && env.type == ZC__MSG_TYPE__PONG
        &&  c->ping_id && env.request_id == c->ping_id) {
            c->ping_id = 0;
            c->misses = 0;
            c->answered = true;
        }
        zc_frames_close (&frames);
    }
    if (c->ping_id && now - c->ping_sent_ms >= PING_EVERY_MS) {
        c->ping_id = 0;
        if (c->answered)
            c->misses++;
    }
    int most = up->liveness_s * 1000 / PING_EVERY_MS;
    if (c->misses >= (most > 0 ? most : 1)) {
        fprintf (stderr, "\nzchain: %s answered no ping for %d s (%d in a row): killed (-9) to be "
                 "started again (see %s/logs/%s.log)\n", c->name,
                 c->misses * PING_EVERY_MS / 1000, c->misses, up->datadir, c->name);
        kill (c->pid, SIGKILL);
        c->misses = 0;
        c->answered = false;
        return;
    }
    if (!c->ping_id) {
        zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__PING,
                            .request_id = ++up->next_ping_id };
        if (zc_zmq_send (c->pinger, NULL, 0, &header, NULL, ZMQ_DONTWAIT) == 0) {
            c->ping_id = header.request_id;
            c->ping_sent_ms = now;
        }
    }
}

static void
s_reap (s_up_t *up)
{
    int status;
    pid_t pid;
    while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
        for (int i = 0; i < up->n_children; i++) {
            s_child_t *c = &up->child [i];
            if (c->pid != pid)
                continue;
            c->pid = 0;
            if (s_stop)
                break;
            if (c->parked) {
                printf ("\nzchain: %s stopped (scaled down)\n", c->name);
                break;
            }
            int64_t now = zc_mono_ms ();
            if (now - c->started_ms > 60000)
                c->backoff_ms = 1000;   //  it ran a good while: start afresh
            c->restart_at_ms = now + c->backoff_ms;
            c->restarts++;
            fprintf (stderr, "\nzchain: %s %s %d; restarting in %lld ms (see %s/logs/%s.log)\n",
                     c->name, WIFSIGNALED (status) ? "killed by signal" : "exited with status",
                     WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status),
                     (long long) c->backoff_ms, up->datadir, c->name);
            c->backoff_ms = c->backoff_ms * 2 > 30000 ? 30000 : c->backoff_ms * 2;
        }
}

static void
s_stop_all (s_up_t *up)
{
    for (int stage = 0; stage <= 3; stage++) {
        for (int i = 0; i < up->n_children; i++)
            if (up->child [i].stage == stage && up->child [i].pid > 0)
                kill (up->child [i].pid, SIGTERM);
        int64_t deadline = zc_mono_ms () + 10000;
        while (zc_mono_ms () < deadline) {
            bool any = false;
            int status;
            pid_t pid;
            while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
                for (int i = 0; i < up->n_children; i++)
                    if (up->child [i].pid == pid)
                        up->child [i].pid = 0;
            for (int i = 0; i < up->n_children; i++)
                if (up->child [i].stage == stage && up->child [i].pid > 0)
                    any = true;
            if (!any)
                break;
            usleep (20000);
        }
        for (int i = 0; i < up->n_children; i++)
            if (up->child [i].stage == stage && up->child [i].pid > 0) {
                fprintf (stderr, "zchain: %s did not stop in 10 s: killed\n", up->child [i].name);
                kill (up->child [i].pid, SIGKILL);
                waitpid (up->child [i].pid, NULL, 0);
                up->child [i].pid = 0;
            }
    }
}

//  The wallet that receives the coinbase: created on first start
static void
s_wallet (s_up_t *up)
{
    char err [512];
    zc_wallet_t *wallet = zc_wallet_load (up->cli->wallet, err, sizeof err);
    if (!wallet && access (up->cli->wallet, F_OK) != 0) {
        wallet = zc_wallet_create (up->cli->wallet, err, sizeof err);
        if (wallet)
            printf ("created a wallet in %s\n", up->cli->wallet);
    }
    if (!wallet)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    zc_address_encode (zc_wallet_pubkey (wallet, 0), up->cli->params->hrp, up->address);
    zc_wallet_destroy (&wallet);
}

//  DATADIR/sub made 0700, or an existing one tightened to it (only when it
//  exists if optional)
static void
s_private_dir (const char *base, const char *sub, bool optional)
{
    char path [PATH_MAX + 32], err [PATH_MAX + 128];
    snprintf (path, sizeof path, "%s/%s", base, sub);
    if (optional && access (path, F_OK) != 0)
        return;
    if (zc_private_dir (path, err, sizeof err))
        cli_die (CLI_EXIT_FAIL, "%s", err);
}

static void
s_private_file (const char *path)
{
    char err [PATH_MAX + 128];
    if (zc_private_file (path, err, sizeof err))
        cli_die (CLI_EXIT_FAIL, "%s", err);
}

static const char *
s_value (int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen (name);
    if (strncmp (argv [*i], name, len))
        return NULL;
    if (argv [*i] [len] == '=')
        return argv [*i] + len + 1;
    if (argv [*i] [len] == 0) {
        if (*i + 1 >= argc)
            cli_die (CLI_EXIT_USAGE, "%s needs a value", name);
        return argv [++*i];
    }
    return NULL;
}

static int
s_count (const char *text, const char *name)
{
    char *end;
    long n = strtol (text, &end, 10);
    if (*end || n < 0 || n > 16)
        cli_die (CLI_EXIT_USAGE, "%s: '%s' is not a number from 0 to 16", name, text);
    return (int) n;
}

//  A whole number from least to most, kept as text for a flag
static const char *
s_whole (const char *text, const char *name, long least, long most)
{
    char *end;
    long n = strtol (text, &end, 10);
    if (!*text || *end || n < least || n > most)
        cli_die (CLI_EXIT_USAGE, "%s: '%s' is not a whole number from %ld to %ld", name, text, least,
                 most);
    return text;
}

//  A number after "key": in the sidecar's /autoscale JSON; -1 when absent
static double
s_json_number (const char *json, const char *key)
{
    char pattern [64];
    snprintf (pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr (json, pattern);
    if (!at)
        return -1;
    char *end;
    double value = strtod (at + strlen (pattern), &end);
    return end == at + strlen (pattern) ? -1 : value;
}

//  Start or stop validators to the count the sidecar's policy wants. A
//  stopped one answers what it holds and hands back the rest (SIGTERM);
//  the highest-numbered go first, so names stay 1..N.
static void
s_scale (s_up_t *up)
{
    char url [300], body [2048], reason [128];
    int code = 0;
    snprintf (url, sizeof url, "http://%s/autoscale", up->metrics_http);
    if (http_get (url, 500, body, sizeof body, &code, reason, sizeof reason) || code != 200) {
        char note [160];
        snprintf (note, sizeof note, "%.128s", code ? "the sidecar answered an error" : reason);
        if (strcmp (note, up->scale_note))
            fprintf (stderr, "\nzchain: cannot read the scaling policy at %s: %s (validators stay at %d)\n",
                     url, note, up->validators);
        snprintf (up->scale_note, sizeof up->scale_note, "%s", note);
        return;
    }
    up->scale_note [0] = 0;
    double desired = s_json_number (body, "desired");
    if (desired < up->validators_min || desired > up->validators_max || !strstr (body, "\"signal\":true"))
        return;                         //  no signal (storage and the mempool silent): hold
    int want = (int) desired;
    if (want == up->validators)
        return;
    printf ("\nzchain: validators %d -> %d (backlog %.0f jobs, target %.0f per validator, %.0f busy, "
            "oldest job waited %.1f s)\n", up->validators, want, s_json_number (body, "backlog_jobs"),
            s_json_number (body, "target_jobs"), s_json_number (body, "busy"),
            s_json_number (body, "oldest_seconds"));
    fflush (stdout);
    for (int i = 0; i < up->n_children; i++) {
        s_child_t *c = &up->child [i];
        if (strncmp (c->name, "validator-", 10))
            continue;
        int number = atoi (c->name + 10);
        if (number <= want && c->parked) {
            c->parked = false;
            c->backoff_ms = 1000;
            if (c->pid == 0)            //  not still on its way out
                s_spawn (up, c);
        }
        else
        if (number > want && !c->parked) {
            c->parked = true;
            c->restart_at_ms = 0;
            if (c->pid > 0)
                kill (c->pid, SIGTERM);
        }
    }
    up->validators = want;
}

//  Our CURVE keys in DATADIR/peers.cert (the gateway uses the same file):
//  made now when missing, so the address with its key can be printed
static void
s_curve_key (s_up_t *up)
{
    char path [PATH_MAX + 16], secret [PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/peers.cert", up->datadir);
    snprintf (secret, sizeof secret, "%s_secret", path);
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        cert = zcert_new ();
        if (!cert || zcert_save (cert, path) != 0)
            cli_die (CLI_EXIT_FAIL, "cannot write the CURVE keys to %s", path);
        chmod (secret, 0600);
    }
    zc_hex_encode (zcert_public_key (cert), 32, up->p2p_key);
    zcert_destroy (&cert);
}

//  Every role's keys in DATADIR/keys, made on first start; kept after that,
//  so a restarted node's services still know each other
static void
s_node_keys (s_up_t *up)
{
    snprintf (up->keys, sizeof up->keys, "%s/keys", up->datadir);
    int created = 0;
    for (int r = ZC_ROLE_STORAGE; r <= ZC_ROLE_OPERATOR; r++) {
        char err [700];
        int rc = zc_keys_generate (up->keys, (zc_role_t) r, false, err, sizeof err);
        if (rc < 0)
            cli_die (CLI_EXIT_FAIL, "%s", err);
        created += rc;
    }
    if (created)
        printf ("created the node's CURVE keys in %s\n", up->keys);
    //  our own status line is the operator's
    up->cli->keys = up->keys;
}

//  HOST:PORT (no scheme), or a usage error
static const char *
s_hostport (const char *text, const char *name)
{
    const char *colon = strrchr (text, ':');
    char *end = NULL;
    long port = colon ? strtol (colon + 1, &end, 10) : 0;
    bool key = end && *end == '#' && strlen (end + 1) == 64;
    if (!colon || colon == text || strstr (text, "://") || port < 1 || port > 65535 || (*end && !key))
        cli_die (CLI_EXIT_USAGE, "%s: '%s' is not HOST:PORT (or HOST:PORT#KEY)", name, text);
    return text;
}

int
cmd_up (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        s_help (stdout);
        return 0;
    }
    s_up_t *up = calloc (1, sizeof *up);
    up->cli = cli;
    up->miners = 1;
    up->validators_min = up->validators_max = 2;
    up->http = "127.0.0.1:7780";
    up->metrics_http = "127.0.0.1:7790";
    up->block_interval = "1000";
    up->log_level = "info";
    up->liveness_s = 10;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = s_value (argc, argv, &i, "--miners")))
            up->miners = s_count (v, "--miners");
        else
        if ((v = s_value (argc, argv, &i, "--validators"))) {
            if (zc_autoscale_parse_range (v, MAX_VALIDATORS, &up->validators_min, &up->validators_max))
                cli_die (CLI_EXIT_USAGE, "--validators: '%s' is not N or MIN..MAX from 1 to %d", v,
                         MAX_VALIDATORS);
        }
        else
        if ((v = s_value (argc, argv, &i, "--autoscale-window")))
            up->scale_window = s_whole (v, "--autoscale-window", 0, 86400);
        else
        if ((v = s_value (argc, argv, &i, "--autoscale-target")))
            up->scale_target = s_whole (v, "--autoscale-target", 1, 100000);
        else
        if ((v = s_value (argc, argv, &i, "--http")))
            up->http = v;
        else
        if ((v = s_value (argc, argv, &i, "--metrics")))
            up->metrics_http = v;
        else
        if ((v = s_value (argc, argv, &i, "--block-interval")))
            up->block_interval = v;
        else
        if ((v = s_value (argc, argv, &i, "--log-level")))
            up->log_level = v;
        else
        if ((v = s_value (argc, argv, &i, "--mempool-db")))
            up->mempool_db = v;
        else
        if ((v = s_value (argc, argv, &i, "--liveness"))) {
            char *end;
            long seconds = strtol (v, &end, 10);
            if (*end || seconds < 0 || seconds > 3600)
                cli_die (CLI_EXIT_USAGE, "--liveness: '%s' is not a number of seconds from 0 to 3600", v);
            up->liveness_s = (int) seconds;
        }
        else
        if ((v = s_value (argc, argv, &i, "--p2p")))
            up->p2p = s_hostport (v, "--p2p");
        else
        if ((v = s_value (argc, argv, &i, "--advertise")))
            up->p2p_advertise = s_hostport (v, "--advertise");
        else
        if (strcmp (argv [i], "--p2p-curve") == 0)
            up->curve = true;
        else
        if ((v = s_value (argc, argv, &i, "--bootstrap"))) {
            if (up->n_bootstrap == 16)
                cli_die (CLI_EXIT_USAGE, "--bootstrap: at most 16");
            up->bootstrap [up->n_bootstrap++] = s_hostport (v, "--bootstrap");
        }
        else
            cli_die (CLI_EXIT_USAGE, "up: unknown option '%s' (try zchain up --help)", argv [i]);
    }
    if ((up->n_bootstrap || up->p2p_advertise || up->curve) && !up->p2p)
        cli_die (CLI_EXIT_USAGE, "--bootstrap, --advertise and --p2p-curve need --p2p HOST:PORT");
    char self_path [PATH_MAX];
    ssize_t n = readlink ("/proc/self/exe", self_path, sizeof self_path - 1);
    if (n <= 0)
        cli_die (CLI_EXIT_FAIL, "cannot find where zchain is installed");
    self_path [n] = 0;
    snprintf (up->bindir, sizeof up->bindir, "%s", dirname (self_path));

    cli_ensure_datadir (cli);
    if (!realpath (cli->datadir, up->datadir))
        cli_die (CLI_EXIT_FAIL, "cannot resolve %s", cli->datadir);
    //  the node's data is its own: sockets, logs, keys (the chain and the
    //  mempool make their directories private themselves, as they open them)
    s_private_dir (up->datadir, "run", false);
    s_private_dir (up->datadir, "logs", false);
    s_private_dir (up->datadir, "keys", true);
    s_private_file (up->cli->wallet);
    char secret [PATH_MAX + 32];
    snprintf (secret, sizeof secret, "%s/peers.cert_secret", up->datadir);
    s_private_file (secret);
    const char *names [] = { "storage-api", "storage-events", "storage-work", "mempool-api",
                             "mempool-events", "mempool-work", "gateway-api", "gateway-notify",
                             "metrics" };
    for (int i = 0; i <= EP_METRICS; i++)
        node_endpoint (cli, names [i], up->ep [i]);
    s_wallet (up);
    s_node_keys (up);
    if (up->curve)
        s_curve_key (up);
    s_plan (up);

    struct sigaction sa = { .sa_handler = s_on_signal };
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    for (int i = 0; i < up->n_children; i++)
        if (!up->child [i].parked)
            s_spawn (up, &up->child [i]);

    if (up->validators_max > up->validators_min)
        printf ("zchain %s node in %s: %d..%d validators by the backlog, %d miner(s)\n", cli->network,
                up->datadir, up->validators_min, up->validators_max, up->miners);
    else
        printf ("zchain %s node in %s: %d validator(s), %d miner(s)\n", cli->network, up->datadir,
                up->validators, up->miners);
    if (*up->http) {
        //  the gateway serves its explorer unless ZC_EXPLORER (which it
        //  inherits from us) turns it off
        const char *explorer = getenv ("ZC_EXPLORER");
        if (!explorer || !(!strcmp (explorer, "false") || !strcmp (explorer, "0")
                           || !strcmp (explorer, "no")))
            printf ("  explorer    http://%s/\n", up->http);
        printf ("  HTTP api    http://%s/api/tip\n", up->http);
    }
    //  the sidecar serves its dashboard unless ZC_METRICS_DASHBOARD says not
    const char *dashboard = getenv ("ZC_METRICS_DASHBOARD");
    if (!dashboard || !(!strcmp (dashboard, "false") || !strcmp (dashboard, "0")
                        || !strcmp (dashboard, "no")))
        printf ("  dashboard   http://%s/\n", up->metrics_http);
    printf ("  metrics     http://%s/metrics   (health: /healthz, /readyz)\n", up->metrics_http);
    if (up->p2p)
        printf ("  p2p         tcp://%s%s%s (%d bootstrap node(s); see zchain peers)\n", up->p2p,
                up->curve ? "#" : "", up->p2p_key, up->n_bootstrap);
    printf ("  client api  %s\n  notify      %s\n", up->ep [EP_GATEWAY_API], up->ep [EP_NOTIFY]);
    printf ("  mining to   %s\n  logs        %s/logs\n", up->miners ? up->address : "(not mining)",
            up->datadir);
    fflush (stdout);

    //  a status line from the gateway, and confirmed tx/s from its notifications
    zc_client_t *client = node_client (cli, up->ep [EP_GATEWAY_API], ZC_SOCK_GATEWAY_API);
    zsock_t *sub = node_subscribe (cli, up->ep [EP_NOTIFY], 10000);
    bool tty = isatty (STDOUT_FILENO);
    int64_t next_status = zc_mono_ms () + 1000, window_start = zc_mono_ms ();
    uint64_t confirmed = 0;
    double rate = 0;
    while (!s_stop) {
        s_reap (up);
        int64_t now = zc_mono_ms ();
        for (int i = 0; i < up->n_children && !s_stop; i++) {
            s_child_t *c = &up->child [i];
            if (c->pid == 0 && c->restart_at_ms && now >= c->restart_at_ms) {
                c->restart_at_ms = 0;
                s_spawn (up, c);
            }
            s_liveness (up, c, now);
        }
        if (up->validators_max > up->validators_min && now >= up->next_scale_ms) {
            s_scale (up);
            up->next_scale_ms = now + SCALE_EVERY_MS;
        }
        while (sub && (zsock_events (sub) & ZMQ_POLLIN)) {
            zc_frames_t frames;
            if (zc_frames_recv (sub, &frames, ZMQ_DONTWAIT))
                break;
            zc_env_t env;
            if (frames.count == 2 && zc_frame_size (&frames, 0) == 15
            &&  !memcmp (zc_frame_data (&frames, 0), "block.connected", 15)
            &&  zc_frames_envelope (&frames, &env) == ZC_OK) {
                Zc__ChainEvent *ev = zc__chain_event__unpack (NULL, env.body_size, env.body);
                if (ev) {
                    confirmed += ev->n_txids ? ev->n_txids - 1 : 0;
                    zc__chain_event__free_unpacked (ev, NULL);
                }
            }
            zc_frames_close (&frames);
        }
        if (now >= next_status && client) {
            if (now - window_start >= 10000) {
                rate = (double) confirmed * 1000.0 / (double) (now - window_start);
                confirmed = 0;
                window_start = now;
            }
            Zc__GetStatus req = ZC__GET_STATUS__INIT;
            uint32_t type;
            const uint8_t *body;
            size_t size;
            if (zc_client_call (client, ZC__MSG_TYPE__GET_STATUS, &req.base, 500, &type, &body,
                                &size, NULL) == ZC_OK && type == ZC__MSG_TYPE__STATUS_REPLY) {
                Zc__StatusReply *st = zc__status_reply__unpack (NULL, size, body);
                if (st) {
                    int restarts = 0;
                    for (int i = 0; i < up->n_children; i++)
                        restarts += up->child [i].restarts;
                    if (tty)
                        printf ("\rheight %u  mempool %llu txs  %.0f tx/s confirmed  validators %d  "
                                "restarts %d   ", st->height, (unsigned long long) st->mempool_txs, rate,
                                up->validators, restarts);
                    else
                    if ((now / 1000) % 10 == 0)
                        printf ("height %u  mempool %llu txs  %.0f tx/s confirmed  validators %d  "
                                "restarts %d\n", st->height, (unsigned long long) st->mempool_txs, rate,
                                up->validators, restarts);
                    fflush (stdout);
                    zc__status_reply__free_unpacked (st, NULL);
                }
            }
            next_status = now + 1000;
        }
        usleep (50000);
    }
    printf ("\nstopping...\n");
    fflush (stdout);
    zc_client_destroy (&client);
    zsock_destroy (&sub);
    s_stop_all (up);
    printf ("stopped\n");
    for (int i = 0; i < up->n_children; i++) {
        zsock_destroy (&up->child [i].pinger);
        for (int a = 0; a < up->child [i].argc; a++)
            free (up->child [i].argv [a]);
    }
    free (up);
    return 0;
}
