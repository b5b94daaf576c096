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

//  A request client to the node's gateway api (or --node); exits on failure.
zc_client_t *
    node_connect (cli_t *cli);

//  Call the node; on failure print "zchain: <reason>" and exit 1. Returns
//  the reply body (valid until the next call).
const uint8_t *
    node_call (zc_client_t *client, uint32_t type, const ProtobufCMessage *body,
               uint32_t expect, size_t *size_p);

#endif
