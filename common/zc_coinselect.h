/*  zc_coinselect.h - which coins pay for a payment, without sockets
 *
 *  Amounts are base units; fees are what each part of the transaction
 *  costs at the chosen fee rate. A coin's effective value is its amount
 *  less the fee of the input that spends it; coins worth nothing at the
 *  rate are never chosen.
 *
 *  1. Branch and bound (Bitcoin Core's, after Erhardt 2016): a depth-first
 *     search, largest effective value first, for a set whose effective
 *     value lies in [target, target + cost_of_change]: a payment with no
 *     change output at all, the excess (the least found) left to the
 *     miner. At most ZC_COINSELECT_TRIES steps.
 *  2. Otherwise largest first until the effective value covers target,
 *     the change output's fee and a change of at least min_change; when
 *     every coin together covers target but not that, no change and the
 *     rest to the fee.
 */
#ifndef ZC_COINSELECT_H_INCLUDED
#define ZC_COINSELECT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_COINSELECT_TRIES 100000

typedef enum {
    ZC_COINSELECT_NONE = 0,             //  not enough
    ZC_COINSELECT_BNB = 1,              //  exact enough: no change
    ZC_COINSELECT_LARGEST = 2           //  largest first, with change (or none when too small)
} zc_coinselect_method_t;

typedef struct {
    uint64_t target;                    //  the payments plus the fee of everything but inputs and change
    uint64_t input_fee;                 //  the fee of one input
    uint64_t change_fee;                //  the fee of the change output
    uint64_t cost_of_change;            //  change_fee plus the fee of spending it later
    uint64_t min_change;                //  smallest change worth making (the dust threshold)
} zc_coinselect_ask_t;

typedef struct {
    zc_coinselect_method_t method;
    size_t n_chosen;
    uint64_t total;                     //  the chosen coins' amounts
    uint64_t change;                    //  0: no change output
} zc_coinselect_result_t;

//  Choose from amounts [0..n) (n at most 1,000,000): chosen [i] is set for
//  each coin taken. Returns the method (NONE when the coins cannot pay
//  target, chosen then all false) and fills out. The transaction's fee is
//  then out->total - payments - out->change: the fixed fee counted in
//  target, each input's, change_fee when there is change, and any excess.
zc_coinselect_method_t
    zc_coinselect (const uint64_t *amounts, size_t n, const zc_coinselect_ask_t *ask, bool *chosen,
                   zc_coinselect_result_t *out);

#endif
