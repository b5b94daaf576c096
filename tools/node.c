/*  node.c - finding and calling a node */
#include "node.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

void
node_endpoint (cli_t *cli, const char *name, char out [NODE_ENDPOINT_MAX])
{
    char real [PATH_MAX];
    if (!realpath (cli->datadir, real))
        cli_die (CLI_EXIT_FAIL, "no data directory %s (start a node: zchain up)", cli->datadir);
    //  unix socket paths hold 107 bytes
    size_t need = strlen (real) + strlen ("/run/") + strlen (name) + strlen (".sock");
    if (need > 100)
        cli_die (CLI_EXIT_FAIL, "data directory path too long for unix sockets: %s", real);
    snprintf (out, NODE_ENDPOINT_MAX, "ipc://%.120s/run/%.40s.sock", real, name);
}

void
node_notify_endpoint (cli_t *cli, char out [NODE_ENDPOINT_MAX])
{
    if (cli->notify)
        snprintf (out, NODE_ENDPOINT_MAX, "%s", cli->notify);
    else
        node_endpoint (cli, "gateway-notify", out);
}

const zc_keys_t *
node_keys (cli_t *cli)
{
    if (cli->keyset || !cli->keys || !*cli->keys)
        return cli->keyset;             //  --keys "": a plain client (an --insecure node)
    char err [700];
    cli->keyset = zc_keys_load (cli->keys, zc_keys_default_role (cli->keys), err, sizeof err);
    if (!cli->keyset)
        cli_die (CLI_EXIT_FAIL, "--keys: %s", err);
    return cli->keyset;
}

zc_client_t *
node_client (cli_t *cli, const char *endpoint, zc_sock_t sock)
{
    char err [700];
    const zc_keys_t *keys = node_keys (cli);
    //  without keys a client may still reach a plain server (ipc://, --insecure)
    zc_client_t *client = keys ? zc_client_new_auth (endpoint, keys, sock, err, sizeof err)
                               : zc_client_new (endpoint, err, sizeof err);
    if (!client)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    return client;
}

zsock_t *
node_subscribe (cli_t *cli, const char *endpoint, int hwm)
{
    char err [700];
    const zc_keys_t *keys = node_keys (cli);
    zsock_t *sub = keys ? zc_zmq_open_auth (ZMQ_SUB, endpoint, false, hwm, keys,
                                            ZC_SOCK_GATEWAY_NOTIFY, err, sizeof err)
                        : zc_zmq_open (ZMQ_SUB, endpoint, false, hwm, err, sizeof err);
    if (!sub)
        cli_die (CLI_EXIT_FAIL, "%s", err);
    return sub;
}

zc_client_t *
node_connect (cli_t *cli)
{
    char endpoint [NODE_ENDPOINT_MAX];
    if (cli->node)
        snprintf (endpoint, sizeof endpoint, "%s", cli->node);
    else
        node_endpoint (cli, "gateway-api", endpoint);
    return node_client (cli, endpoint, ZC_SOCK_GATEWAY_API);
}

const uint8_t *
node_call (zc_client_t *client, uint32_t type, const ProtobufCMessage *body, uint32_t expect,
           size_t *size_p)
{
    uint32_t got;
    const uint8_t *reply;
    const char *detail = NULL;
    zc_err_t rc = zc_client_call (client, type, body, 10000, &got, &reply, size_p, &detail);
    if (rc == ZC_ERR_TIMEOUT)
        cli_die (CLI_EXIT_FAIL, "the node does not answer (is it running? zchain up)");
    if (rc != ZC_OK)
        cli_die (CLI_EXIT_FAIL, "%s: %s", zc_err_name (rc), detail ? detail : zc_err_name (rc));
    if (got != expect)
        cli_die (CLI_EXIT_FAIL, "unexpected answer from the node");
    return reply;
}
