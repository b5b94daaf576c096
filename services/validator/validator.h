/*  validator.h - the validator actor: verification jobs in, verdicts out
 *
 *  Connects a DEALER to each owner's work endpoint (storage, mempool),
 *  announces how many jobs it holds at once, and answers each VERIFY_JOB
 *  with one verdict per item. Stateless: kill it any time; the owner
 *  retries its jobs elsewhere.
 */
#ifndef VALIDATOR_H_INCLUDED
#define VALIDATOR_H_INCLUDED

#include "zc_service.h"

typedef struct {
    zc_service_cfg_t common;
    const char *storage_work;           //  endpoint, or empty
    const char *mempool_work;
    int64_t credits;                    //  jobs held at once per owner
} validator_cfg_t;

extern const zc_option_t validator_options [];

//  The actor (zactor_fn); args is a validator_cfg_t that outlives it. On
//  its pipe (zc_actor.h): signals 0 when up (its DEALERs connected: the
//  owners need not be there yet), or 1 when it could not start (no work
//  endpoint, a bad one); takes $TERM, on which it answers the jobs already
//  here and tells each owner it leaves before it ends; no other command;
//  never ends on its own.
void
    validator_actor (zsock_t *pipe, void *args);

#endif
