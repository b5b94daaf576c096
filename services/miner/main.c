/*  main.c - zchain-miner: proof of work over mempool templates */
#include "miner.h"

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
    miner_cfg_t cfg = { 0 };
    return zc_service_main (argc, argv, "miner",
                            "Mine blocks from mempool templates and submit them to storage.\n"
                            "Run as many as you like: each searches its own extranonce space.",
                            miner_options, &cfg, miner_actor);
}
