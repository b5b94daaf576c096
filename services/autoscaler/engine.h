/*  engine.h - the few calls of the Docker Engine API the autoscaler makes
 *
 *  Over the engine's unix socket: GET /_ping and /info at start (is this a
 *  Docker engine, which API version does it speak, is it a swarm manager),
 *  then GET /services/NAME and POST /services/ID/update to set a
 *  replicated service's replica count.
 *
 *  It speaks the engine's own API version (the API-Version header of
 *  /_ping, at least 1.30) in a versioned path, /v1.41/..., not a fixed
 *  one: an engine takes an update from an older client by first dropping
 *  the fields that client's version did not know (a 1.41 update to a 1.43
 *  engine would lose newer settings), and the update here must give the
 *  service back exactly as it was, but for its replica count. So the
 *  update's body is the engine's own bytes of the service's Spec with one
 *  number changed, not a Spec parsed and printed again (that would also
 *  turn large integers into floating point).
 *
 *      engine_t *engine = engine_new ("/var/run/docker.sock", &stop);
 *      if (engine_connect (engine, err, sizeof err))
 *          ...refuse to start, err says why
 *      engine_service_t service;
 *      if (engine_service_read (engine, "zchain_validator", &service, err, sizeof err) == 0
 *      &&  service.replicas != 3)
 *          engine_service_scale (engine, &service, 3, err, sizeof err);
 *      engine_service_clear (&service);
 *      engine_destroy (&engine);
 */
#ifndef AUTOSCALER_ENGINE_H_INCLUDED
#define AUTOSCALER_ENGINE_H_INCLUDED

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The largest answer read from the engine (a service is a few kB; a
//  cluster's /info with many nodes tens of kB)
#define ENGINE_MAX_BYTES (4 * 1024 * 1024)
//  Each call's deadline
#define ENGINE_TIMEOUT_MS 10000

typedef struct _engine_t engine_t;

typedef struct {
    char id [72];                       //  the service's ID
    char name [72];                     //  Spec.Name
    char version [24];                  //  Version.Index, digits, as the engine wrote it
    bool replicated;                    //  Spec.Mode.Replicated is there
    int64_t replicas;                   //  Spec.Mode.Replicated.Replicas (0 when absent)
    char *json;                         //  the engine's whole answer (owned)
    size_t json_size;
} engine_service_t;

//  A client of the engine at socket_path. stop, when not NULL, ends calls
//  in flight when it becomes non-zero. NULL when out of memory.
engine_t *
    engine_new (const char *socket_path, const volatile sig_atomic_t *stop);

//  Free the client; NULL-safe, nulls the pointer.
void
    engine_destroy (engine_t **self_p);

//  Reach the engine and check it can do the job: its socket is there and
//  lets us in, it answers like a Docker engine, its API is recent enough,
//  and it is a swarm manager. 0, or -1 with a one-line reason naming the
//  socket in err.
int
    engine_connect (engine_t *self, char *err, size_t err_size);

//  The engine as engine_connect found it ("Docker 20.10.24, API 1.41,
//  swarm manager, node ID"): borrowed, empty before.
const char *
    engine_describe (engine_t *self);

//  GET /services/NAME into service (cleared first, engine_service_clear
//  frees it). 0, or -1 with a reason in err (no such service, no answer,
//  an answer that does not parse).
int
    engine_service_read (engine_t *self, const char *name, engine_service_t *service,
                         char *err, size_t err_size);

//  Set a service read by engine_service_read to replicas, at the version
//  read. 0 done; 1 when the service changed since it was read (the engine's
//  "update out of sequence": read it again and decide again); -1 with a
//  reason in err. Warnings the engine gives are logged.
int
    engine_service_scale (engine_t *self, const engine_service_t *service, int64_t replicas,
                          char *err, size_t err_size);

//  Free what a service holds and zero it; safe to call twice.
void
    engine_service_clear (engine_service_t *service);

//  -- The parts without a socket ------------------------------------------

//  Parse GET /info's answer: 0 when it is a swarm manager (node_id, when
//  not NULL, gets Swarm.NodeID; server, when not NULL, ServerVersion), -1
//  with the reason otherwise (what Swarm.LocalNodeState says).
int
    engine_info_parse (const char *json, size_t size, char *node_id, size_t node_id_size,
                       char *server, size_t server_size, char *err, size_t err_size);

//  Parse GET /services/NAME's answer into service (a copy of json is kept
//  in it). 0, or -1 with the reason in err.
int
    engine_service_parse (const char *json, size_t size, engine_service_t *service,
                          char *err, size_t err_size);

//  The body of the update that sets replicas: the Spec object of json (a
//  GET /services/NAME answer) byte for byte, but for the number of
//  Spec.Mode.Replicated.Replicas (added when absent). The caller's to
//  free; NULL with the reason in err when json has no replicated Spec.
char *
    engine_update_body (const char *json, size_t size, int64_t replicas,
                        char *err, size_t err_size);

#endif
