/*  zc_service.h - what every service's main does: config, actor, signals
 *
 *  A service is a CZMQ actor; its main.c is one call:
 *
 *      return zc_service_main (argc, argv, "storage", "the chain store",
 *                              s_options, &cfg, storage_actor);
 *
 *  which parses the options (a one-line error and exit 2 on bad ones),
 *  logs the effective configuration, starts the actor with &cfg as its
 *  argument, and on SIGINT or SIGTERM destroys it (the actor gets $TERM
 *  and cleans up). With --keys it loads the service's CURVE keys into
 *  cfg->common.keyset first (a one-line error and exit 1 when they are
 *  missing or unsafe), for the actor to open its sockets with
 *  (zc_zmq_open_auth). The actor (built on zc_actor.h) signals 0 when it
 *  is up, or non-zero when it could not start (bind failed, store
 *  unreadable): main exits 1 so a supervisor restarts it, and so it does
 *  when the actor ends on its own after it was up.
 *
 *  It also starts a watchdog (zc_watchdog.h, --watchdog SECONDS) and puts
 *  it in the config for the actor, whose loop kicks it every turn: a
 *  process whose loop stops turning ends itself (status 70) and is started
 *  again by its supervisor. Actors run as threads of another program get
 *  no watchdog (the field stays NULL).
 */
#ifndef ZC_SERVICE_H_INCLUDED
#define ZC_SERVICE_H_INCLUDED

#include "zc_auth.h"
#include "zc_config.h"
#include "zc_watchdog.h"

#include <czmq.h>

//  Options every service shares, at the start of its config struct
typedef struct {
    const char *instance;               //  label in logs and metrics
    const char *log_level;
    const char *metrics;                //  metrics ingest endpoint, or empty
    const char *network;                //  regtest or devnet
    const char *keys;                   //  directory of the node's CURVE keys, or empty
    bool insecure;                      //  tcp:// without keys: anyone who reaches it is trusted
    zc_keys_t *keyset;                  //  not an option: what zc_service_main loaded from keys
    int64_t watchdog_s;                 //  0: none
    zc_watchdog_t *watchdog;            //  not an option: set by zc_service_main (or NULL)
} zc_service_cfg_t;

//  Rows for the shared options (config struct starts with zc_service_cfg_t)
#define ZC_SERVICE_OPTIONS(service) \
    { "instance", "ZC_INSTANCE", ZC_OPT_STRING, NULL, \
      "instance name in logs and metrics (default " service "-HOST-PID)", \
      offsetof (zc_service_cfg_t, instance), 0, 0 }, \
    { "log-level", "ZC_LOG_LEVEL", ZC_OPT_STRING, "info", "debug, info, warn or error", \
      offsetof (zc_service_cfg_t, log_level), 0, 0 }, \
    { "metrics", "ZC_METRICS", ZC_OPT_STRING, "", \
      "metrics sidecar ingest endpoint (empty: none)", \
      offsetof (zc_service_cfg_t, metrics), 0, 0 }, \
    { "network", "ZC_NETWORK", ZC_OPT_STRING, "regtest", "regtest or devnet", \
      offsetof (zc_service_cfg_t, network), 0, 0 }, \
    { "keys", "ZC_KEYS", ZC_OPT_STRING, "", \
      "CURVE keys directory (zchain keys init DIR): every tcp:// and ipc:// socket is then " \
      "encrypted and lets in only the node's own roles; needed for tcp://", \
      offsetof (zc_service_cfg_t, keys), 0, 0 }, \
    { "insecure", "ZC_INSECURE", ZC_OPT_BOOL, "false", \
      "allow tcp:// endpoints without --keys: anyone who can reach them is trusted", \
      offsetof (zc_service_cfg_t, insecure), 0, 0 }, \
    { "watchdog", "ZC_WATCHDOG", ZC_OPT_INT, "60", \
      "end the process (status 70, to be started again) when its loop makes no progress for this many seconds; 0: never", \
      offsetof (zc_service_cfg_t, watchdog_s), 0, 86400 }

int
    zc_service_main (int argc, char **argv, const char *service, const char *summary,
                     const zc_option_t *table, void *cfg, zactor_fn *actor);

//  The instance name of a service process (the flag, or SERVICE-HOST-PID);
//  borrowed, set by zc_service_main.
const char *
    zc_service_instance (void);

#endif
