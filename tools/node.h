/*  node.h - where a local node's sockets are, for zchain up and the commands
 *
 *  zchain up puts every socket under DATADIR/run as NAME.sock; the other
 *  commands talk to the gateway's client api there unless --node names
 *  another endpoint.
 */
#ifndef NODE_H_INCLUDED
#define NODE_H_INCLUDED

#include "cli.h"
#include "zc_zmq.h"

#define NODE_ENDPOINT_MAX 200

//  ipc://ABSOLUTE-DATADIR/run/NAME.sock into out; exits with a reason when
//  the path is too long for a unix socket.
void
    node_endpoint (cli_t *cli, const char *name, char out [NODE_ENDPOINT_MAX]);

//  The node's notification endpoint: ZC_NODE_NOTIFY, else the one in DATADIR
void
    node_notify_endpoint (cli_t *cli, char out [NODE_ENDPOINT_MAX]);

//  The CLI's CURVE keys (--keys, ZC_KEYS, else DATADIR/keys when it
//  exists), loaded once, as the operator when that secret is there (else
//  the one secret the directory holds, else an anonymous key); NULL when
//  there is no keys directory (or --keys ""). Exits with the reason when the keys cannot
//  be used. Borrowed from cli.
const zc_keys_t *
    node_keys (cli_t *cli);

//  A request client to sock (the server it is: gateway api, storage api,
//  ...) at endpoint, with node_keys; exits on failure.
zc_client_t *
    node_client (cli_t *cli, const char *endpoint, zc_sock_t sock);

//  A subscriber to the gateway's notifications at endpoint, with
//  node_keys; exits on failure.
zsock_t *
    node_subscribe (cli_t *cli, const char *endpoint, int hwm);

//  A request client to the node's gateway api (or --node); exits on failure.
zc_client_t *
    node_connect (cli_t *cli);

//  Call the node; on failure print "zchain: <reason>" and exit 1. Returns
//  the reply body (valid until the next call).
const uint8_t *
    node_call (zc_client_t *client, uint32_t type, const ProtobufCMessage *body,
               uint32_t expect, size_t *size_p);

#endif
