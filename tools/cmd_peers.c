/*  cmd_peers.c - zchain peers: the node's peers, and the operator's deny list */
#include "cli.h"
#include "node.h"
#include "envelope.pb-c.h"
#include "gateway.pb-c.h"

#include <stdlib.h>
#include <string.h>

static void
s_help (void)
{
    printf ("usage: zchain peers [--json] [--deny tcp://HOST:PORT ...] [--allow-all]\n\n"
            "The node's peers: state, direction, address, latency, bytes in and out,\n"
            "misbehaviour score and height.\n\n"
            "  --deny ADDR   drop and refuse the peer at ADDR (repeatable; replaces the\n"
            "                list): a partition drill without touching the network\n"
            "  --allow-all   empty the deny list\n");
}

static void
s_print (cli_t *cli, const Zc__PeersReply *reply)
{
    if (cli->json) {
        printf ("[");
        for (size_t i = 0; i < reply->n_peers; i++) {
            const Zc__PeerInfo *p = reply->peers [i];
            printf ("%s{\"node_id\":\"%s\",\"address\":\"%s\",\"state\":\"%s\",\"direction\":\"%s\","
                    "\"latency_ms\":%u,\"bytes_in\":%llu,\"bytes_out\":%llu,\"score\":%d,"
                    "\"height\":%u,\"connected_ms\":%llu}",
                    i ? "," : "", p->node_id, p->address, p->state, p->inbound ? "in" : "out",
                    p->latency_ms, (unsigned long long) p->bytes_in,
                    (unsigned long long) p->bytes_out, p->score, p->height,
                    (unsigned long long) p->connected_ms);
        }
        printf ("]\n");
        return;
    }
    if (reply->n_peers == 0) {
        printf ("no peers\n");
        return;
    }
    printf ("%-12s %-3s %-28s %8s %12s %12s %5s %8s  %s\n", "state", "dir", "address", "latency",
            "bytes in", "bytes out", "score", "height", "node");
    for (size_t i = 0; i < reply->n_peers; i++) {
        const Zc__PeerInfo *p = reply->peers [i];
        printf ("%-12s %-3s %-28s %6ums %12llu %12llu %5d %8u  %.12s\n", p->state,
                p->inbound ? "in" : "out", p->address, p->latency_ms,
                (unsigned long long) p->bytes_in, (unsigned long long) p->bytes_out, p->score,
                p->height, p->node_id);
    }
}

int
cmd_peers (cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        s_help ();
        return 0;
    }
    char *deny [16];
    size_t n_deny = 0;
    bool control = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--deny") == 0 && i + 1 < argc) {
            if (n_deny == 16)
                cli_die (CLI_EXIT_USAGE, "--deny: at most 16 addresses");
            if (strncmp (argv [i + 1], "tcp://", 6) != 0)
                cli_die (CLI_EXIT_USAGE, "--deny: '%s' is not tcp://HOST:PORT", argv [i + 1]);
            deny [n_deny++] = argv [++i];
            control = true;
        }
        else
        if (strcmp (argv [i], "--allow-all") == 0)
            control = true;
        else
            cli_die (CLI_EXIT_USAGE, "peers: unknown argument '%s' (try zchain peers --help)", argv [i]);
    }
    zc_client_t *client = node_connect (cli);
    size_t size;
    const uint8_t *body;
    if (control) {
        Zc__P2pControl req = ZC__P2P_CONTROL__INIT;
        req.n_deny = n_deny;
        req.deny = deny;
        body = node_call (client, ZC__MSG_TYPE__P2P_CONTROL, &req.base, ZC__MSG_TYPE__PEERS_REPLY, &size);
    }
    else {
        Zc__GetPeers req = ZC__GET_PEERS__INIT;
        body = node_call (client, ZC__MSG_TYPE__GET_PEERS, &req.base, ZC__MSG_TYPE__PEERS_REPLY, &size);
    }
    Zc__PeersReply *reply = zc__peers_reply__unpack (NULL, size, body);
    if (!reply)
        cli_die (CLI_EXIT_FAIL, "malformed answer from the node");
    s_print (cli, reply);
    zc__peers_reply__free_unpacked (reply, NULL);
    zc_client_destroy (&client);
    return 0;
}
