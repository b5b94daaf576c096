/*  cmd_ping.c - zchain ping: is a service alive and answering?
 *
 *  A ZeroMQ endpoint (storage, mempool or gateway api) gets a PING and must
 *  answer PONG; an http:// URL (the sidecar's /healthz, the gateway's HTTP
 *  api) must answer 200. Exit 0 when it did, 1 with the reason when not:
 *  what container healthchecks and scripts call. With keys, the ping goes
 *  out at once under the server keys of storage, the mempool and the
 *  gateway: only the service that is there completes the handshake, so
 *  the caller need not say which it is.
 */
#include "cli.h"
#include "http_get.h"
#include "node.h"
#include "zc_time.h"
#include "envelope.pb-c.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PING_HTTP_REPLY_MAX 512

static void
s_help (void)
{
    printf ("usage: zchain ping [ENDPOINT|URL] [--timeout MS] [--json]\n\n"
            "Ask a service whether it is alive: a ZeroMQ api endpoint (tcp://HOST:PORT\n"
            "or ipc://PATH of storage, the mempool or the gateway) must answer a ping;\n"
            "an http://HOST:PORT/PATH URL must answer 200. Without an argument, the\n"
            "node's gateway (--node, or the one in --datadir). Exit 0 when it answered.\n"
            "With keys (--keys, ZC_KEYS, DATADIR/keys) the ping is authenticated.\n\n"
            "  --timeout MS  how long to wait (default 2000)\n");
}

//  With keys: one DEALER per service it could be, each expecting that
//  service's server key; the first PONG wins. 0, or 1 with reason set
static int
s_ping_curve (const zc_keys_t *keys, const char *endpoint, int timeout_ms, char *reason,
              size_t reason_size)
{
    const zc_sock_t apis [] = { ZC_SOCK_STORAGE_API, ZC_SOCK_MEMPOOL_API, ZC_SOCK_GATEWAY_API };
    zsock_t *sock [3];
    zmq_pollitem_t items [3];
    int n = 0;
    char err [700] = "no public key of storage, the mempool or the gateway";
    for (int i = 0; i < 3; i++) {
        if (!zc_keys_public (keys, zc_sock_server (apis [i])))
            continue;
        zsock_t *s = zc_zmq_open_auth (ZMQ_DEALER, endpoint, false, 10, keys, apis [i], err, sizeof err);
        if (!s)
            continue;
        zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__PING,
                            .request_id = 1, .deadline_ms = (uint64_t) (zc_now_ms () + timeout_ms) };
        zc_zmq_send (s, NULL, 0, &header, NULL, ZMQ_DONTWAIT);
        sock [n] = s;
        items [n] = (zmq_pollitem_t) { zsock_resolve (s), 0, ZMQ_POLLIN, 0 };
        n++;
    }
    int status = -1;                    //  -1 until an answer: 0 a pong, 1 anything else
    int64_t deadline = zc_mono_ms () + timeout_ms;
    while (n && status < 0 && zc_mono_ms () < deadline) {
        if (zmq_poll (items, n, (long) (deadline - zc_mono_ms ())) <= 0)
            continue;
        for (int i = 0; i < n && status < 0; i++) {
            zc_frames_t frames;
            zc_env_t env;
            if (!(items [i].revents & ZMQ_POLLIN) || zc_frames_recv (sock [i], &frames, ZMQ_DONTWAIT))
                continue;
            if (zc_frames_envelope (&frames, &env) == ZC_OK) {
                status = env.type == ZC__MSG_TYPE__PONG ? 0 : 1;
                if (status)
                    snprintf (reason, reason_size, "answered message type %u, not a pong", env.type);
            }
            zc_frames_close (&frames);
        }
    }
    for (int i = 0; i < n; i++)
        zsock_destroy (&sock [i]);
    if (status < 0)
        snprintf (reason, reason_size, "%s", n ? "no answer (not running, or it refused our key)" : err);
    return status < 0 ? 1 : status;
}

//  0 when endpoint answered PONG within timeout_ms, else 1 with reason set
static int
s_ping_zmq (const char *endpoint, int timeout_ms, char *reason, size_t reason_size)
{
    char err [256];
    zc_client_t *client = zc_client_new (endpoint, err, sizeof err);
    if (!client) {
        snprintf (reason, reason_size, "%s", err);
        return 1;
    }
    uint32_t got = 0;
    const uint8_t *reply;
    size_t size;
    const char *detail = NULL;
    zc_err_t rc = zc_client_call (client, ZC__MSG_TYPE__PING, NULL, timeout_ms, &got, &reply,
                                  &size, &detail);
    int status = 0;
    if (rc != ZC_OK) {
        snprintf (reason, reason_size, "%s", rc == ZC_ERR_TIMEOUT ? "no answer" : detail ? detail
                                                                   : zc_err_name (rc));
        status = 1;
    }
    else
    if (got != ZC__MSG_TYPE__PONG) {
        snprintf (reason, reason_size, "answered message type %u, not a pong", got);
        status = 1;
    }
    zc_client_destroy (&client);
    return status;
}

//  0 when url answered HTTP 200 within timeout_ms, else 1 with reason set
static int
s_ping_http (const char *url, int timeout_ms, char *reason, size_t reason_size)
{
    char body [PING_HTTP_REPLY_MAX];
    int code = 0;
    if (http_get (url, timeout_ms, body, sizeof body, &code, reason, reason_size))
        return 1;
    if (code != 200) {
        snprintf (reason, reason_size, "HTTP %d", code);
        return 1;
    }
    return 0;
}

int
cmd_ping (cli_t *cli, int argc, char **argv)
{
    const char *target = NULL;
    int timeout_ms = 2000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv [i], "-h") || !strcmp (argv [i], "--help")) {
            s_help ();
            return 0;
        }
        if (!strcmp (argv [i], "--timeout") && i + 1 < argc) {
            char *end;
            long ms = strtol (argv [++i], &end, 10);
            if (*end || ms < 1 || ms > 600000)
                cli_die (CLI_EXIT_USAGE, "--timeout: milliseconds from 1 to 600000");
            timeout_ms = (int) ms;
        }
        else
        if (argv [i][0] != '-' && !target)
            target = argv [i];
        else
            cli_die (CLI_EXIT_USAGE, "ping: unexpected '%s' (see zchain ping --help)", argv [i]);
    }
    char endpoint [NODE_ENDPOINT_MAX];
    if (!target) {
        if (cli->node)
            snprintf (endpoint, sizeof endpoint, "%s", cli->node);
        else
            node_endpoint (cli, "gateway-api", endpoint);
        target = endpoint;
    }
    char reason [300] = "";
    int64_t start = zc_mono_ms ();
    int status = !strncmp (target, "http://", 7)
               ? s_ping_http (target, timeout_ms, reason, sizeof reason)
               : node_keys (cli) ? s_ping_curve (node_keys (cli), target, timeout_ms, reason,
                                                 sizeof reason)
               : s_ping_zmq (target, timeout_ms, reason, sizeof reason);
    long long ms = (long long) (zc_mono_ms () - start);
    if (cli->json)
        printf ("{\"target\":\"%s\",\"alive\":%s,\"ms\":%lld%s%s%s}\n", target,
                status ? "false" : "true", ms, status ? ",\"reason\":\"" : "", status ? reason : "",
                status ? "\"" : "");
    else
    if (status == 0)
        printf ("%s: alive (%lld ms)\n", target, ms);
    if (status && !cli->json)
        cli_die (CLI_EXIT_FAIL, "%s: %s", target, reason);
    return status;
}
