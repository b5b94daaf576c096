/*  zc_service.c - the common main of every service */
#include "zc_service.h"
#include "zc_log.h"
#include "zc_params.h"

#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

//  One process, one service: the name is process-wide like the log name
static char s_instance [96];

const char *
zc_service_instance (void)
{
    return s_instance;
}

//  The service's keys into common->keyset: loaded from --keys, a set without
//  keys for --insecure, or none (ipc:// and inproc:// only). 0, or the exit
//  code with the reason printed: 2 for flags that contradict each other, 1
//  for keys that cannot be used (a supervisor may retry: an init step may
//  still be writing them)
static int
s_load_keys (const char *program, const char *service, zc_service_cfg_t *common)
{
    bool have_dir = common->keys && *common->keys;
    int role = zc_role_by_name (service);
    assert (role > ZC_ROLE_NONE && role < ZC_ROLE_OPERATOR);
    if (have_dir && common->insecure) {
        fprintf (stderr, "%s: --keys and --insecure: give one of them\n", program);
        return 2;
    }
    if (common->insecure) {
        common->keyset = zc_keys_insecure ((zc_role_t) role);
        zc_warn ("--insecure: tcp:// sockets are not authenticated; anyone who reaches them is trusted");
    }
    else
    if (have_dir) {
        char err [700];
        common->keyset = zc_keys_load (common->keys, (zc_role_t) role, err, sizeof err);
        if (!common->keyset) {
            fprintf (stderr, "%s: --keys: %s\n", program, err);
            return 1;
        }
    }
    return 0;
}

int
zc_service_main (int argc, char **argv, const char *service, const char *summary,
                 const zc_option_t *table, void *cfg, zactor_fn *actor)
{
    char err [256];
    char program [64];
    snprintf (program, sizeof program, "zchain-%s", service);
    int rc = zc_config_parse (table, cfg, argc, argv, program, summary, err, sizeof err);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf (stderr, "%s: %s\n", program, err);
        return 2;
    }
    zc_service_cfg_t *common = cfg;
    if (common->instance && *common->instance)
        snprintf (s_instance, sizeof s_instance, "%s", common->instance);
    else {
        char host [64] = "local";
        gethostname (host, sizeof host - 1);
        snprintf (s_instance, sizeof s_instance, "%s-%s-%d", service, host, (int) getpid ());
    }
    common->instance = s_instance;
    int level = zc_log_level_parse (common->log_level);
    if (level < 0) {
        fprintf (stderr, "%s: --log-level: '%s' is not debug, info, warn or error\n",
                 program, common->log_level);
        return 2;
    }
    if (!zc_params_by_name (common->network)) {
        fprintf (stderr, "%s: --network: '%s' is not regtest or devnet\n", program, common->network);
        return 2;
    }
    zc_log_set_level ((zc_log_level_t) level);
    zc_log_set_name (s_instance);
    zc_config_log (table, cfg, argc, argv);
    rc = s_load_keys (program, service, common);
    if (rc)
        return rc;

    //  two malloc arenas, not eight per core: threads (ZeroMQ's, RocksDB's)
    //  otherwise each grow their own and memory creeps up by fragmentation
    mallopt (M_ARENA_MAX, 2);
    //  CZMQ's handler sets zsys_interrupted on SIGINT and SIGTERM
    zsys_init ();
    zsys_catch_interrupts ();
    //  started before the actor, so a start-up that hangs is caught too
    common->watchdog = zc_watchdog_new (service, common->watchdog_s * 1000);
    zactor_t *running = zactor_new (actor, cfg);
    if (!running) {
        zc_error ("%s did not start", service);
        zc_watchdog_destroy (&common->watchdog);
        return 1;
    }
    //  the actor's second signal (zactor_new took the handshake, see
    //  zc_actor.h): 0 up, else it failed to start; after that a message
    //  (ZC_ACTOR_STOPPED) says it ended on its own. The thread's last
    //  signal stays unread, for zactor_destroy.
    zsock_t *pipe = zactor_sock (running);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    int exit_code = 0;
    bool up = false;
    while (!zsys_interrupted) {
        if (zpoller_wait (poller, 500) != pipe)
            continue;
        zmsg_t *msg = zmsg_recv (pipe);
        int status = msg ? zmsg_signal (msg) : -1;
        zmsg_destroy (&msg);
        if (zsys_interrupted)
            break;
        if (!up && status == 0) {
            up = true;
            continue;
        }
        zc_error (up ? "%s stopped on its own" : "%s did not start", service);
        exit_code = 1;
        break;
    }
    zpoller_destroy (&poller);
    //  after the actor: its loop kicks the watchdog to the end (a clean-up
    //  that hangs ends the process too)
    zactor_destroy (&running);
    zc_keys_destroy (&common->keyset);
    zc_auth_stop ();
    zc_watchdog_destroy (&common->watchdog);
    zc_info ("%s stopped", service);
    return exit_code;
}
