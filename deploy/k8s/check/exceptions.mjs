//  exceptions.mjs - where the orchestrators differ on purpose
//
//  The consistency check holds every ZC_* variable and every container port
//  of compose.yaml against deploy/k8s and deploy/swarm/stack.yaml. What may
//  differ is listed here, each with its reason (docs/operations.md,
//  Kubernetes, repeats the table); anything else that differs fails.
//
//  hosts: a service's name as the others reach it. A compose value naming
//    HOST (tcp://HOST:PORT, http://HOST:PORT/...) is expected with the
//    orchestrator's name for HOST instead.
//  values: one variable of one service, the two values, and why.
//  programs: compose services running this program (command[0]) that the
//    orchestrator does not run, and why.
export const EXCEPTIONS = {
    k8s: {
        hosts: {
            //  StatefulSet pods are reached by their own DNS name under the
            //  headless Service: storage-0.storage is the one storage pod
            storage: "storage-0.storage",
            mempool: "mempool-0.mempool",
            gateway: "gateway-0.gateway",
        },
        values: [],
        programs: {
            "zchain-autoscaler": "Docker's replica driver: on Kubernetes KEDA or the HPA scale (overlays/keda, overlays/hpa)",
        },
    },
    swarm: {
        hosts: {},
        values: [
            { service: "gateway", variable: "ZC_WALLET", compose: "/var/lib/zchain/wallet/wallet.key",
              other: undefined,
              why: "compose shares the miners' wallet volume with the gateway for `exec gateway zchain`; " +
                   "a swarm's miners run on other machines, and the operator's CLI holds its own wallet" },
        ],
        //  variables the stack sets that compose does not
        extra: {
            metrics: {
                ZC_AUTOSCALE_VALIDATORS: "the policy zchain-autoscaler applies on Swarm (compose runs no autoscaler)",
                ZC_AUTOSCALE_TARGET: "as ZC_AUTOSCALE_VALIDATORS",
                ZC_AUTOSCALE_WINDOW_S: "as ZC_AUTOSCALE_VALIDATORS",
            },
            miner: {
                ZC_MINER_ADDRESS: "miners on other machines pay one address (a wallet volume is per node)",
            },
        },
        programs: {},
    },
};
