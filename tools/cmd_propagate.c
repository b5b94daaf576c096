/*  cmd_propagate.c - zchain propagate: how fast blocks and transactions reach
 *  every node of a network, measured on one machine
 *
 *  The nodes are relay-only gateways (gateway_actor, the code of
 *  `zchain-gateway --relay-only`), each a thread of this process, linked
 *  over ZeroMQ inproc:// so that no kernel sits between them: what is
 *  measured is the protocol (handshake, address gossip, announce-then-fetch,
 *  the checks of every block and transaction) and not loopback TCP. Node 0,
 *  the origin, is the bootstrap node and offers the items; each item is
 *  offered alone, after the one before has reached every node (or timed
 *  out), and the delay from the origin until 50 %, 90 % and 100 % of the
 *  nodes had it is read from every node's own observation (p2p_cfg_t
 *  observe: the monotonic clock, one for the whole process).
 */
#include "cli.h"
#include "gateway.h"
#include "zc_actor.h"
#include "zc_block.h"
#include "zc_key.h"
#include "zc_log.h"
#include "zc_time.h"
#include "zc_tx.h"

#include <czmq.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define NODES_MAX 4000
#define ITEMS_MAX 1000
#define NAME_MAX_ 48

typedef struct s_run_t s_run_t;

//  One node: its configuration (argv parsed like the gateway's own) and
//  what its observer counts
typedef struct {
    s_run_t *run;
    int index;
    char bind [NAME_MAX_];
    char name [NAME_MAX_];
    char *argv [24];
    int argc;
    gateway_cfg_t cfg;
    zactor_t *actor;
    atomic_llong messages;
    atomic_llong bytes;
    atomic_llong duplicates;
    atomic_int peers;
} s_node_t;

struct s_run_t {
    int nodes;
    s_node_t *node;
    zc_hash_t item [ITEMS_MAX];         //  published before it is offered
    bool block [ITEMS_MAX];
    atomic_int published;
    atomic_llong *seen;                 //  [item * nodes + node]: monotonic us, 0 not yet
    atomic_int *reached;                //  [item]: nodes that have it
};

typedef struct {
    int nodes, outbound, inbound, blocks, txs, block_txs, interval_ms, wait_s, warmup_s;
    int ping_ms;
    const char *log_level;
} s_opts_t;

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

static void
s_help (FILE *out)
{
    fprintf (out,
        "usage: zchain propagate [--nodes N] [--outbound K] [--inbound M] [--blocks B]\n"
        "                        [--txs T] [--block-txs X] [--interval MS] [--json]\n\n"
        "Measure how fast a block and a transaction reach every node of a network of\n"
        "N relay-only gateways (the code of zchain-gateway --relay-only), each a\n"
        "thread of this process, linked over ZeroMQ inproc:// (no kernel between\n"
        "them). Node 0 is the bootstrap node and the origin: once every node has\n"
        "its peers, it offers B blocks and T transactions, one at a time. For each\n"
        "kind: the delay until 50 %%, 90 %% and 100 %% of the nodes had an item (the\n"
        "mean over items, and p50 and p99 of the time to all), the mean delay over\n"
        "the nodes, the messages and duplicate announcements per node and item,\n"
        "and the CPU time and memory per node. Exit 1 if an item missed a node.\n"
        "Each node takes about K+6 open files: the limit is raised to the hard\n"
        "limit, and a run that would not fit is refused.\n\n"
        "  --nodes N        nodes, the origin included (default 100, at most %d)\n"
        "  --outbound K     each node's outbound peers (default 4)\n"
        "  --inbound M      each node's most inbound peers (default 8)\n"
        "  --blocks B       blocks offered (default 10)\n"
        "  --txs T          transactions offered (default 10)\n"
        "  --block-txs X    transactions in each block besides its coinbase (default 0)\n"
        "  --interval MS    pause after each item has reached every node (default 200)\n"
        "  --wait S         seconds an item may take to reach every node (default 30)\n"
        "  --warmup S       seconds the nodes may take to find their peers (default 300)\n"
        "  --ping-interval MS  between a node's pings to each peer (default 10000)\n"
        "  --log-level L    the nodes' log level (default warn)\n", NODES_MAX);
}

static int
s_int (const char *name, const char *text, int min, int max)
{
    char *end;
    long n = strtol (text, &end, 10);
    if (!*text || *end || n < min || n > max)
        cli_die (CLI_EXIT_USAGE, "%s: '%s' is not a number from %d to %d", name, text, min, max);
    return (int) n;
}

static void
s_parse (int argc, char **argv, s_opts_t *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        const char *v = i + 1 < argc ? argv [i + 1] : NULL;
        if (!v)
            cli_die (CLI_EXIT_USAGE, "%s needs a value (try zchain propagate --help)", a);
        i++;
        if (!strcmp (a, "--nodes"))          o->nodes = s_int (a, v, 2, NODES_MAX);
        else if (!strcmp (a, "--outbound"))  o->outbound = s_int (a, v, 1, 50);
        else if (!strcmp (a, "--inbound"))   o->inbound = s_int (a, v, 1, 200);
        else if (!strcmp (a, "--blocks"))    o->blocks = s_int (a, v, 0, ITEMS_MAX);
        else if (!strcmp (a, "--txs"))       o->txs = s_int (a, v, 0, ITEMS_MAX);
        else if (!strcmp (a, "--block-txs")) o->block_txs = s_int (a, v, 0, 10000);
        else if (!strcmp (a, "--interval"))  o->interval_ms = s_int (a, v, 0, 60000);
        else if (!strcmp (a, "--wait"))      o->wait_s = s_int (a, v, 1, 3600);
        else if (!strcmp (a, "--warmup"))    o->warmup_s = s_int (a, v, 1, 3600);
        else if (!strcmp (a, "--ping-interval")) o->ping_ms = s_int (a, v, 100, 600000);
        else if (!strcmp (a, "--log-level")) o->log_level = v;
        else
            cli_die (CLI_EXIT_USAGE, "unknown option '%s' (try zchain propagate --help)", a);
    }
    if (o->blocks + o->txs < 1 || o->blocks + o->txs > ITEMS_MAX)
        cli_die (CLI_EXIT_USAGE, "--blocks plus --txs: from 1 to %d", ITEMS_MAX);
    if (zc_log_level_parse (o->log_level) < 0)
        cli_die (CLI_EXIT_USAGE, "--log-level: '%s' is not debug, info, warn or error", o->log_level);
}

// ---------------------------------------------------------------------------
//  what the nodes observe (on their own threads)

static void
s_observe (void *arg, p2p_event_t event, const uint8_t *hash, int64_t value)
{
    s_node_t *node = arg;
    s_run_t *run = node->run;
    switch (event) {
        case P2P_MESSAGE:
            atomic_fetch_add_explicit (&node->messages, 1, memory_order_relaxed);
            atomic_fetch_add_explicit (&node->bytes, value, memory_order_relaxed);
            break;
        case P2P_DUPLICATE:
            atomic_fetch_add_explicit (&node->duplicates, value, memory_order_relaxed);
            break;
        case P2P_PEERS:
            atomic_store_explicit (&node->peers, (int) value, memory_order_relaxed);
            break;
        case P2P_SEEN_BLOCK:
        case P2P_SEEN_TX: {
            //  the newest items first: the one in flight is the last
            int n = atomic_load_explicit (&run->published, memory_order_acquire);
            for (int i = n - 1; i >= 0; i--) {
                if (memcmp (run->item [i].b, hash, 32) != 0)
                    continue;
                long long zero = 0;
                if (atomic_compare_exchange_strong (&run->seen [(size_t) i * (size_t) run->nodes + (size_t) node->index],
                                                    &zero, (long long) value))
                    atomic_fetch_add (&run->reached [i], 1);
                break;
            }
            break;
        }
    }
}

// ---------------------------------------------------------------------------
//  the origin: a relay-only p2p node on its own thread that offers what
//  the pipe brings ("OFFER", "block"|"tx", raw)

//  "OFFER", "block"|"tx", raw: offered to the peers
static void
s_origin_command (zc_actor_t *actor, const char *command, zmsg_t *msg, void *arg)
{
    (void) actor;
    if (!streq (command, "OFFER") || zmsg_size (msg) != 2)
        return;
    char *kind = zmsg_popstr (msg);
    zframe_t *raw = zmsg_pop (msg);
    if (p2p_offer (arg, streq (kind, "block"), zframe_data (raw), zframe_size (raw)) != 0)
        zc_error ("origin: an item that does not decode");
    zframe_destroy (&raw);
    zstr_free (&kind);
}

static void
s_origin_socket (zc_actor_t *actor, zsock_t *sock, void *arg)
{
    (void) actor;
    p2p_on_socket (arg, sock);
}

static int64_t
s_origin_wake (zc_actor_t *actor, void *arg)
{
    (void) actor;
    return p2p_tick (arg);
}

static void
s_origin_actor (zsock_t *pipe, void *args)
{
    s_node_t *node = args;
    zc_actor_t *actor = zc_actor_new (pipe, NULL);     //  zactor_new waits for its first signal
    char err [256] = "";
    zc_metrics_t *metrics = actor ? zc_metrics_new ("gateway", node->name) : NULL;
    p2p_t *p2p = metrics
               ? p2p_new (&node->cfg.p2p, zc_params_by_name (node->cfg.common.network),
                          zc_actor_poller (actor), metrics, err, sizeof err)
               : NULL;
    if (p2p) {
        zc_actor_set_others (actor, s_origin_socket, p2p);
        zc_actor_set_wake (actor, s_origin_wake, p2p);
        zc_actor_set_commands (actor, s_origin_command, p2p);
        zc_actor_run (actor);           //  and cmd_propagate for its second: 0, up
    }
    else
    if (actor)
        zc_error ("origin: %s", *err ? err : "out of memory");
    p2p_destroy (&p2p);
    zc_metrics_destroy (&metrics);
    zc_actor_destroy (&actor);          //  (not up: its second signal, 1)
}

// ---------------------------------------------------------------------------
//  the items: blocks and transactions that pass the relay's checks

static zc_tx_t *
s_make_tx (void)
{
    zc_tx_t *tx = zc_tx_new (1, 1);
    if (!tx)
        return NULL;
    tx->version = 1;
    zc_random_bytes (tx->in [0].prevout.txid.b, 32);
    tx->in [0].prevout.index = 0;
    zc_random_bytes (tx->in [0].sig, ZC_SIG_SIZE);
    tx->out [0].amount = 100000;
    zc_random_bytes (tx->out [0].pubkey, ZC_PUBKEY_SIZE);
    zc_tx_finalize (tx);
    return tx;
}

//  A block of a coinbase and n_tx transactions on a made-up parent, its
//  proof of work at the network's limit, and its hash; NULL on no memory
static uint8_t *
s_make_block (const zc_params_t *params, uint32_t seq, int n_tx, zc_hash_t *hash, size_t *size)
{
    zc_block_t *block = zc_block_new ((uint32_t) n_tx + 1);
    if (!block)
        return NULL;
    uint8_t payee [ZC_PUBKEY_SIZE];
    zc_random_bytes (payee, sizeof payee);
    bool ok = (block->tx [0] = zc_coinbase_new (seq + 1, seq, zc_params_subsidy (params, seq + 1), payee));
    for (int i = 1; ok && i <= n_tx; i++)
        ok = (block->tx [i] = s_make_tx ());
    uint8_t *raw = NULL;
    if (ok) {
        block->header.version = ZC_BLOCK_VERSION;
        zc_random_bytes (block->header.prev.b, 32);
        block->header.time = (uint32_t) (zc_now_ms () / 1000);
        block->header.bits = params->pow_limit_bits;
        zc_block_finalize (block);
        zc_block_solve (block, params->pow_limit_bits);
        *hash = block->hash;
        raw = zc_block_encode (block, size);
    }
    zc_block_destroy (&block);
    return raw;
}

//  Make item i, publish its id to the observers, hand it to the origin
static bool
s_offer (s_run_t *run, zactor_t *origin, const zc_params_t *params, int i, bool block, int block_txs)
{
    size_t size = 0;
    uint8_t *raw = NULL;
    if (block) {
        if (!(raw = s_make_block (params, (uint32_t) i, block_txs, &run->item [i], &size)))
            return false;
    }
    else {
        zc_tx_t *tx = s_make_tx ();
        if (tx) {
            raw = zc_tx_encode (tx, &size);
            run->item [i] = tx->txid;
        }
        zc_tx_destroy (&tx);
        if (!raw)
            return false;
    }
    run->block [i] = block;
    atomic_store_explicit (&run->published, i + 1, memory_order_release);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "OFFER");
    zmsg_addstr (msg, block ? "block" : "tx");
    zmsg_addmem (msg, raw, size);
    free (raw);
    return zmsg_send (&msg, origin) == 0;
}

// ---------------------------------------------------------------------------
//  figures

typedef struct {
    int items, complete;
    double p50, p90, p100, mean;        //  sums over complete items, ms
    double *all;                        //  time to 100 % per complete item, ms
} s_stats_t;

static int
s_cmp_ll (const void *a, const void *b)
{
    long long x = *(const long long *) a, y = *(const long long *) b;
    return x < y ? -1 : x > y;
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

//  The delays of item i after the origin, into stats when every node had it
static void
s_item_stats (s_run_t *run, int i, long long *delays, s_stats_t *stats)
{
    int n = run->nodes;
    stats->items++;
    if (atomic_load (&run->reached [i]) < n)
        return;
    long long t0 = atomic_load (&run->seen [(size_t) i * (size_t) n]);
    double sum = 0;
    for (int k = 0; k < n; k++) {
        delays [k] = atomic_load (&run->seen [(size_t) i * (size_t) n + (size_t) k]) - t0;
        sum += (double) delays [k];
    }
    qsort (delays, (size_t) n, sizeof delays [0], s_cmp_ll);
    //  the first k nodes to have it, origin included: k = ceil (share * n)
    stats->p50 += (double) delays [(n + 1) / 2 - 1] / 1000.0;
    stats->p90 += (double) delays [(int) ((n * 9 + 9) / 10) - 1] / 1000.0;
    stats->p100 += (double) delays [n - 1] / 1000.0;
    stats->mean += sum / n / 1000.0;
    stats->all [stats->complete++] = (double) delays [n - 1] / 1000.0;
}

static double
s_percentile (double *sorted, int n, double share)
{
    if (n == 0)
        return 0;
    int k = (int) (share * n + 0.999999);
    return sorted [k > 0 ? k - 1 : 0];
}

static void
s_print_stats (const char *what, s_stats_t *s, bool json, bool last)
{
    int c = s->complete;
    qsort (s->all, (size_t) c, sizeof s->all [0], s_cmp_double);
    double d = c ? c : 1;
    if (json)
        printf ("\"%s\":{\"items\":%d,\"complete\":%d,\"to_50_ms\":%.2f,\"to_90_ms\":%.2f,"
                "\"to_100_ms\":%.2f,\"to_100_p50_ms\":%.2f,\"to_100_p99_ms\":%.2f,\"mean_ms\":%.2f}%s",
                what, s->items, c, s->p50 / d, s->p90 / d, s->p100 / d, s_percentile (s->all, c, 0.5),
                s_percentile (s->all, c, 0.99), s->mean / d, last ? "" : ",");
    else
    if (s->items)
        printf ("%-6s %3d of %3d reached all: to 50 %% %7.2f ms, 90 %% %7.2f ms, 100 %% %7.2f ms "
                "(p50 %.2f, p99 %.2f); mean over nodes %.2f ms\n",
                what, c, s->items, s->p50 / d, s->p90 / d, s->p100 / d, s_percentile (s->all, c, 0.5),
                s_percentile (s->all, c, 0.99), s->mean / d);
}

//  A line of progress, out at once even into a pipe
static void
    s_progress (FILE *out, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_progress (FILE *out, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (out, "propagate: ");
    vfprintf (out, format, args);
    va_end (args);
    fflush (out);
}

static long
s_rss_kb (void)
{
    FILE *f = fopen ("/proc/self/status", "r");
    char line [256];
    long kb = 0;
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, "VmRSS:", 6) == 0)
            kb = atol (line + 6);
    if (f)
        fclose (f);
    return kb;
}

static double
s_cpu_s (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6
         + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}

// ---------------------------------------------------------------------------
//  the network

static void
s_arg (s_node_t *node, const char *arg)
{
    node->argv [node->argc++] = (char *) arg;
}

static bool
s_configure (s_node_t *node, const s_opts_t *o, const char *numbers [4], const char *bootstrap)
{
    snprintf (node->bind, sizeof node->bind, "inproc://zc-propagate-%d", node->index);
    snprintf (node->name, sizeof node->name, "relay%d", node->index);
    node->argc = 0;
    s_arg (node, "zchain-gateway");
    s_arg (node, "--relay-only");
    s_arg (node, "--p2p");              s_arg (node, node->bind);
    s_arg (node, "--instance");         s_arg (node, node->name);
    s_arg (node, "--max-outbound");     s_arg (node, numbers [0]);
    s_arg (node, "--max-inbound");      s_arg (node, numbers [1]);
    s_arg (node, "--ping-interval");    s_arg (node, numbers [2]);
    s_arg (node, "--ping-timeout");     s_arg (node, numbers [3]);
    s_arg (node, "--metrics");          s_arg (node, "");
    s_arg (node, "--log-level");        s_arg (node, o->log_level);
    if (bootstrap) {
        s_arg (node, "--bootstrap");
        s_arg (node, bootstrap);
    }
    char err [256];
    if (zc_config_parse (gateway_options, &node->cfg, node->argc, node->argv, "zchain-gateway", "",
                         err, sizeof err) != 0) {
        fprintf (stderr, "zchain: node %d: %s\n", node->index, err);
        return false;
    }
    node->cfg.p2p.observe = s_observe;
    node->cfg.p2p.observe_arg = node;
    return true;
}

//  Room for every node's sockets, a descriptor each (their mailboxes): the
//  actor pipe's two ends, the ROUTER and a DEALER per outbound peer, and
//  some to spare. Exits with the reason when the limit is too low.
static void
s_raise_limits (int nodes, int outbound)
{
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
        cli_die (CLI_EXIT_FAIL, "propagate: cannot read the open-file limit");
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit (RLIMIT_NOFILE, &rl);
        getrlimit (RLIMIT_NOFILE, &rl);
    }
    size_t per_node = (size_t) outbound + 6;
    size_t need = (size_t) nodes * per_node + 512;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
        cli_die (CLI_EXIT_FAIL, "propagate: %d nodes need about %zu open files, the limit is %llu "
                 "(raise it with ulimit -n, or run fewer nodes)", nodes, need,
                 (unsigned long long) rl.rlim_cur);
    zsys_set_max_sockets ((size_t) nodes * per_node + 1024);
    zsys_set_linger (0);
}

//  Wait until every node has at least want peers; false on timeout or stop
static bool
s_warm_up (s_run_t *run, int want, int seconds, FILE *info)
{
    int64_t deadline = zc_mono_ms () + (int64_t) seconds * 1000, next_report = 0;
    while (!s_stop && !zsys_interrupted) {
        int ready = 0, lonely = 0;
        for (int k = 0; k < run->nodes; k++) {
            int peers = atomic_load_explicit (&run->node [k].peers, memory_order_relaxed);
            ready += peers >= want;
            lonely += peers == 0;
        }
        int64_t now = zc_mono_ms ();
        if (ready == run->nodes)
            return true;
        if (now >= deadline) {
            fprintf (stderr, "zchain: propagate: after %d s %d of %d nodes have %d peers, %d none\n",
                     seconds, ready, run->nodes, want, lonely);
            return lonely == 0;
        }
        if (now >= next_report) {
            s_progress (info, "%d of %d nodes have %d peers\n", ready, run->nodes, want);
            next_report = now + 5000;
        }
        zclock_sleep (100);
    }
    return false;
}

int
cmd_propagate (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        s_help (stdout);
        return 0;
    }
    s_opts_t o = { .nodes = 100, .outbound = 4, .inbound = 8, .blocks = 10, .txs = 10,
                   .block_txs = 0, .interval_ms = 200, .wait_s = 30, .warmup_s = 300,
                   .ping_ms = 10000, .log_level = "warn" };
    s_parse (argc, argv, &o);
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    FILE *info = cli->json ? stderr : stdout;
    s_raise_limits (o.nodes, o.outbound);
    zc_log_set_level ((zc_log_level_t) zc_log_level_parse (o.log_level));

    int items = o.blocks + o.txs;
    s_run_t run = { .nodes = o.nodes };
    run.node = calloc ((size_t) o.nodes, sizeof *run.node);
    run.seen = calloc ((size_t) items * (size_t) o.nodes, sizeof *run.seen);
    run.reached = calloc ((size_t) items, sizeof *run.reached);
    long long *delays = calloc ((size_t) o.nodes, sizeof *delays);
    s_stats_t stats [2] = { { .all = calloc ((size_t) items, sizeof (double)) },
                            { .all = calloc ((size_t) items, sizeof (double)) } };
    if (!run.node || !run.seen || !run.reached || !delays || !stats [0].all || !stats [1].all)
        cli_die (CLI_EXIT_FAIL, "propagate: out of memory");
    char outbound [16], inbound [16], ping [16], timeout [16];
    snprintf (outbound, sizeof outbound, "%d", o.outbound);
    snprintf (inbound, sizeof inbound, "%d", o.inbound);
    snprintf (ping, sizeof ping, "%d", o.ping_ms);
    snprintf (timeout, sizeof timeout, "%d", o.ping_ms * 3);
    const char *numbers [4] = { outbound, inbound, ping, timeout };

    //  node 0, the origin, is every other node's bootstrap node, with the
    //  same peer limits: once full, its refusals carry addresses to try
    for (int k = 0; k < o.nodes; k++) {
        run.node [k].run = &run;
        run.node [k].index = k;
        if (!s_configure (&run.node [k], &o, numbers, k ? run.node [0].bind : NULL))
            cli_die (CLI_EXIT_FAIL, "propagate: a node's configuration was refused");
    }
    const zc_params_t *params = zc_params_by_name (run.node [0].cfg.common.network);
    if (!params)
        cli_die (CLI_EXIT_FAIL, "propagate: unknown network '%s'", run.node [0].cfg.common.network);
    s_progress (info, "starting %d relay-only nodes (threads, inproc://), %d outbound, "
             "at most %d inbound peers each\n", o.nodes, o.outbound, o.inbound);
    run.node [0].actor = zactor_new (s_origin_actor, &run.node [0]);
    if (!run.node [0].actor || zsock_wait (run.node [0].actor) != 0)
        cli_die (CLI_EXIT_FAIL, "propagate: the origin did not start");
    for (int k = 1; k < o.nodes && !s_stop; k++) {
        run.node [k].actor = zactor_new (gateway_actor, &run.node [k].cfg);
        //  its second signal: 0 up (zc_actor.h)
        if (!run.node [k].actor || zsock_wait (run.node [k].actor) != 0)
            cli_die (CLI_EXIT_FAIL, "propagate: cannot start node %d", k);
        if (k % 100 == 0)
            s_progress (info, "%d nodes started\n", k);
    }
    int rc = 0;
    if (!s_warm_up (&run, o.nodes > o.outbound ? o.outbound : o.nodes - 1, o.warmup_s, info))
        rc = CLI_EXIT_FAIL;
    //  let the address gossip settle before measuring
    zclock_sleep (2000);

    long long msgs0 = 0, dups0 = 0, bytes0 = 0, msgs1 = 0, dups1 = 0, bytes1 = 0;
    for (int k = 0; k < o.nodes; k++) {
        msgs0 += atomic_load (&run.node [k].messages);
        dups0 += atomic_load (&run.node [k].duplicates);
        bytes0 += atomic_load (&run.node [k].bytes);
    }
    double cpu0 = s_cpu_s ();
    int offered = 0;
    for (int i = 0; rc == 0 && i < items && !s_stop && !zsys_interrupted; i++) {
        //  interleaved: blocks and transactions spread over the run
        bool block = (long long) i * o.blocks / items != (long long) (i + 1) * o.blocks / items;
        if (!s_offer (&run, run.node [0].actor, params, i, block, o.block_txs))
            cli_die (CLI_EXIT_FAIL, "propagate: cannot make item %d", i);
        offered++;
        int64_t deadline = zc_mono_ms () + (int64_t) o.wait_s * 1000;
        while (atomic_load (&run.reached [i]) < o.nodes && zc_mono_ms () < deadline && !s_stop)
            zclock_sleep (1);
        //  the duplicates in flight die down before the next
        zclock_sleep (o.interval_ms);
        if ((i + 1) % 10 == 0 || i + 1 == items)
            s_progress (info, "%d of %d items offered\n", i + 1, items);
    }
    double cpu = s_cpu_s () - cpu0;
    long rss = s_rss_kb ();
    for (int k = 0; k < o.nodes; k++) {
        msgs1 += atomic_load (&run.node [k].messages);
        dups1 += atomic_load (&run.node [k].duplicates);
        bytes1 += atomic_load (&run.node [k].bytes);
    }
    for (int i = 0; i < offered; i++)
        s_item_stats (&run, i, delays, &stats [run.block [i] ? 0 : 1]);
    double per = (double) o.nodes * (offered ? offered : 1);
    if (cli->json) {
        printf ("{\"nodes\":%d,\"outbound\":%d,\"inbound\":%d,\"link\":\"inproc\",", o.nodes, o.outbound, o.inbound);
        s_print_stats ("block", &stats [0], true, false);
        s_print_stats ("tx", &stats [1], true, false);
        printf ("\"messages_per_node_item\":%.2f,\"duplicates_per_node_item\":%.2f,"
                "\"bytes_per_node_item\":%.0f,\"cpu_us_per_node_item\":%.1f,\"rss_kb_per_node\":%ld}\n",
                (double) (msgs1 - msgs0) / per, (double) (dups1 - dups0) / per,
                (double) (bytes1 - bytes0) / per, cpu * 1e6 / per, rss / o.nodes);
    }
    else {
        printf ("%d nodes, %d outbound and at most %d inbound peers each, links inproc://\n",
                o.nodes, o.outbound, o.inbound);
        s_print_stats ("blocks", &stats [0], false, false);
        s_print_stats ("txs", &stats [1], false, true);
        printf ("per node and item: %.1f messages in, %.1f duplicate announcements, %.0f bytes in, "
                "%.1f us CPU; %ld kB resident per node\n",
                (double) (msgs1 - msgs0) / per, (double) (dups1 - dups0) / per,
                (double) (bytes1 - bytes0) / per, cpu * 1e6 / per, rss / o.nodes);
    }
    fflush (stdout);
    if (rc == 0 && stats [0].complete + stats [1].complete < offered) {
        fprintf (stderr, "zchain: propagate: %d of %d items did not reach every node within %d s\n",
                 offered - stats [0].complete - stats [1].complete, offered, o.wait_s);
        rc = CLI_EXIT_FAIL;
    }
    if (rc == 0 && (s_stop || offered < items)) {
        fprintf (stderr, "zchain: propagate: interrupted\n");
        rc = CLI_EXIT_FAIL;
    }
    s_progress (info, "stopping %d nodes\n", o.nodes);
    for (int k = 0; k < o.nodes; k++)
        if (run.node [k].actor)
            zstr_send (run.node [k].actor, "$TERM");
    for (int k = 0; k < o.nodes; k++)
        zactor_destroy (&run.node [k].actor);
    free (stats [0].all);
    free (stats [1].all);
    free (delays);
    free (run.reached);
    free (run.seen);
    free (run.node);
    return rc;
}
