/*  main.c - zchain-gateway: the node's client api, notifications and HTTP */
#include "gateway.h"

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
    gateway_cfg_t cfg = { 0 };
    return zc_service_main (argc, argv, "gateway",
                            "Serve clients: a ZeroMQ api, notifications, and an HTTP JSON api.",
                            gateway_options, &cfg, gateway_actor);
}
