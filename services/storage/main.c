/*  main.c - zchain-storage: blocks, the best chain and the UTXO set in RocksDB */
#include "storage.h"

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
    storage_cfg_t cfg = { 0 };
    return zc_service_main (argc, argv, "storage",
                            "Store blocks, choose the chain with the most work, keep the\n"
                            "UTXO set, and answer queries. One per node.",
                            storage_options, &cfg, storage_actor);
}
