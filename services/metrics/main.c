/*  main.c - zchain-metrics: the metrics sidecar */
#include "metrics.h"

int main (int argc, char **argv);

int
main (int argc, char **argv)
{
    metrics_cfg_t cfg = { 0 };
    return zc_service_main (argc, argv, "metrics",
                            "Collect every service's metrics and serve them to Prometheus,\n"
                            "with /healthz and /readyz. One per node.",
                            metrics_options, &cfg, metrics_actor);
}
