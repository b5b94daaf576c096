/*  main.c - zchain-autoscaler: zchain's scaling policy applied to Docker Swarm
 *
 *  Not a node service: it holds no keys and speaks no ZeroMQ, only HTTP to
 *  the metrics sidecar and to the Docker engine, so it has its own main
 *  rather than zc_service_main. Exit status: 0 after SIGTERM or SIGINT, 1
 *  when the engine cannot be used (a one-line reason on stderr), 2 for
 *  bad options.
 */
#include "autoscaler.h"
#include "zc_log.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main (int argc, char **argv);

//  The one thing a signal handler may do: set a flag the loop reads
static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

int
main (int argc, char **argv)
{
    const char *program = "zchain-autoscaler";
    autoscaler_cfg_t cfg = { 0 };
    char err [600];
    int rc = zc_config_parse (autoscaler_options, &cfg, argc, argv, program,
                              "Apply zchain's scaling policy to Docker Swarm: every interval, read\n"
                              "the metrics sidecar's GET /autoscale and set each mapped Swarm\n"
                              "service's replicas to the count it wants, through the Docker engine\n"
                              "of a swarm manager. On missing or doubtful data it changes nothing.",
                              err, sizeof err);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf (stderr, "%s: %s\n", program, err);
        return 2;
    }
    int level = zc_log_level_parse (cfg.log_level);
    if (level < 0) {
        fprintf (stderr, "%s: --log-level: '%s' is not debug, info, warn or error\n", program,
                 cfg.log_level);
        return 2;
    }
    char instance [96];
    if (cfg.instance && *cfg.instance)
        snprintf (instance, sizeof instance, "%s", cfg.instance);
    else {
        char host [64] = "local";
        gethostname (host, sizeof host - 1);
        snprintf (instance, sizeof instance, "autoscaler-%s-%d", host, (int) getpid ());
    }
    zc_log_set_level ((zc_log_level_t) level);
    zc_log_set_name (instance);

    //  no SA_RESTART: a signal ends the loop's nap at once. SIGPIPE is
    //  ignored because libcurl, told not to touch signals, leaves it to us
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigemptyset (&action.sa_mask);
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
    signal (SIGPIPE, SIG_IGN);

    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf (stderr, "%s: libcurl did not initialise\n", program);
        return 1;
    }
    autoscaler_t *autoscaler = autoscaler_new (&cfg, &s_stop, err, sizeof err);
    if (!autoscaler) {
        fprintf (stderr, "%s: %s\n", program, err);
        curl_global_cleanup ();
        return 2;
    }
    //  the refusal is the only line a start that cannot work prints: the
    //  configuration follows once the engine is known to be usable
    if (autoscaler_start (autoscaler, err, sizeof err)) {
        //  told to stop while it waited for the engine: that is no failure
        if (!s_stop)
            fprintf (stderr, "%s: %s\n", program, err);
        autoscaler_destroy (&autoscaler);
        curl_global_cleanup ();
        return s_stop ? 0 : 1;
    }
    zc_config_log (autoscaler_options, &cfg, argc, argv);
    autoscaler_run (autoscaler);
    autoscaler_destroy (&autoscaler);
    curl_global_cleanup ();
    zc_info ("autoscaler stopped");
    return 0;
}
