/*  main.c - zchain-validator: verify transactions for storage and the mempool */
#include "validator.h"

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
    validator_cfg_t cfg = { 0 };
    return zc_service_main (argc, argv, "validator",
                            "Verify signatures and amounts for storage and the mempool.\n"
                            "Stateless: run as many as you have cores.",
                            validator_options, &cfg, validator_actor);
}
