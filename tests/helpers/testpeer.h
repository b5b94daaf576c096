/*  testpeer.h - a test program speaking the p2p protocol to a gateway: a
 *  DEALER that says hello, sends envelopes and waits for a message type
 */
#ifndef TESTPEER_H_INCLUDED
#define TESTPEER_H_INCLUDED

#include "zc_params.h"
#include "zc_zmq.h"
#include "p2p.pb-c.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>

//  A DEALER connected to endpoint (tcp:// or inproc://); NULL on failure.
zsock_t *
    testpeer_connect (const char *endpoint);

//  Send one envelope of type with body; 0 or -1.
int
    testpeer_send (zsock_t *sock, uint32_t type, const ProtobufCMessage *body);

//  Say hello as a fresh node (random node id, no chain, no listen address).
int
    testpeer_hello (zsock_t *sock, const zc_params_t *params);

//  The same, announcing listen as the address it accepts peers on
int
    testpeer_hello_listen (zsock_t *sock, const zc_params_t *params, const char *listen);

//  Announce one id (an Inv of one item); 0 or -1.
int
    testpeer_inv (zsock_t *sock, Zc__InvType type, const uint8_t hash [32]);

//  The next message of type (others skipped, pings answered), its body
//  unpacked into *body when desc is given; false when none in timeout_ms.
bool
    testpeer_expect (zsock_t *sock, uint32_t type, int timeout_ms,
                     const ProtobufCMessageDescriptor *desc, ProtobufCMessage **body);

#endif
