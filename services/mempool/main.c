/*  main.c - zchain-mempool: unconfirmed transactions and block templates */
#include "mempool.h"

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
    mempool_cfg_t cfg = { 0 };
    return zc_service_main (argc, argv, "mempool",
                            "Check, keep and order unconfirmed transactions; build block\n"
                            "templates for miners. One per node.",
                            mempool_options, &cfg, mempool_actor);
}
