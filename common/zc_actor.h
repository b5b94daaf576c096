/*  zc_actor.h - the one poll loop every service actor runs
 *
 *  A service is a CZMQ actor (zactor_fn). Its function makes a zc_actor_t
 *  on its pipe, opens its sockets, registers each with a handler, its
 *  periodic work as timers and its metrics for the push, and calls
 *  zc_actor_run; what is left in the service's file is what the service
 *  does. The loop, written once here:
 *
 *      one turn:  wait for a message on the pipe or a registered socket,
 *                 no longer than the next timer, the next metrics push,
 *                 the service's own deadline (zc_actor_set_wake) or
 *                 ZC_ACTOR_TURN_MS (the first turn does not wait);
 *                 handle the socket that fired (a burst of messages at
 *                 most), run the timers that are due, push the metrics
 *                 when due, ask the service how long it may sleep next,
 *                 kick the watchdog
 *      ends on:   $TERM on the pipe, a failed read of the pipe, SIGINT or
 *                 SIGTERM (zsys_interrupted), a terminated poll (the
 *                 context went away), or a callback's zc_actor_stop
 *
 *      void
 *      echo_actor (zsock_t *pipe, void *args)
 *      {
 *          zc_actor_t *actor = zc_actor_new (pipe, NULL);   //  zactor_new returns
 *          zsock_t *sock = actor ? zsock_new_pull (args) : NULL;
 *          if (sock && zc_actor_add (actor, sock, 16, s_on_sock, NULL) == 0)
 *              zc_actor_run (actor);       //  signals 0 (up), then turns
 *          zsock_destroy (&sock);
 *          zc_actor_destroy (&actor);      //  signals 1 (failed) if never up
 *      }
 *
 *  The pipe contract, the same for every service:
 *  - first signal: zsock_signal (pipe, 0) as soon as zc_actor_new runs;
 *    zactor_new consumes it and returns (a start-up may take long: a chain
 *    to load, another service to wait for);
 *  - second signal: 0 when the service is up (zc_actor_run started), or 1
 *    when it could not start (zc_actor_destroy without a run); the parent
 *    reads it with zsock_wait (actor) or, as zc_service_main does, by
 *    polling the actor, and must read it before zactor_destroy (which
 *    waits for a signal too and would take this one for the thread's end);
 *  - commands: $TERM ends the loop; any other command goes to the hook
 *    set by zc_actor_set_commands, or is logged at debug and dropped;
 *  - an actor that was up and ends on its own (its last run ended by a
 *    zc_actor_stop, not by $TERM or an interrupt) sends the string
 *    ZC_ACTOR_STOPPED from zc_actor_destroy, so the parent learns it
 *    (zc_service_main exits 1 to be restarted);
 *  - when the actor function returns, CZMQ sends one more signal, which
 *    zactor_destroy waits for: a parent must leave it unread.
 *
 *  A zc_actor_t belongs to the actor's thread: none of these functions may
 *  be called from another thread.
 */
#ifndef ZC_ACTOR_H_INCLUDED
#define ZC_ACTOR_H_INCLUDED

#include "zc_metrics.h"
#include "zc_watchdog.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define ZC_ACTOR_SOCKETS_MAX 16         //  sockets registered with a handler
#define ZC_ACTOR_TIMERS_MAX 4
#define ZC_ACTOR_METRICS_MS 1000        //  between two metrics pushes
#define ZC_ACTOR_TURN_MS 1000           //  the longest wait: a turn (and a kick) a second
#define ZC_ACTOR_STOPPED "$STOPPED"     //  on the pipe: it ended on its own

typedef struct _zc_actor_t zc_actor_t;

/** A registered socket has a message.
 *
 *  Called while sock has a message, up to the burst it was registered
 *  with, once per turn. It should read one message (ZMQ_DONTWAIT); it may
 *  read more.
 *  Args:  actor: the loop (for zc_actor_stop, zc_actor_remove, ...)
 *         sock:  the socket that has a message
 *         arg:   what was registered with it
 */
typedef void (zc_actor_handler_fn) (zc_actor_t *actor, zsock_t *sock, void *arg);

/** A timer is due, or (zc_actor_set_metrics) the metrics are about to be
 *  pushed.
 *
 *  Args:  actor: the loop
 *         arg:   what was registered with it
 */
typedef void (zc_actor_timer_fn) (zc_actor_t *actor, void *arg);

/** The end of a turn: how long may the loop wait for the next message?
 *
 *  Returns: the milliseconds the next wait may last at most (0: do not
 *           wait, come back at once), or a negative number for no limit
 *           of the service's own (the timers and the push still bound it)
 *  Args:    actor: the loop
 *           arg:   what was registered with it
 */
typedef int64_t (zc_actor_wake_fn) (zc_actor_t *actor, void *arg);

/** A command on the pipe other than $TERM.
 *
 *  Args:  actor:   the loop
 *         arg:     what was registered with it
 *  In:    command: the message's first frame as a string (borrowed)
 *         msg:     the frames after it (borrowed: freed after the call;
 *                  pop from it to keep a frame)
 */
typedef void (zc_actor_command_fn) (zc_actor_t *actor, const char *command, zmsg_t *msg,
                                    void *arg);

/** Start the skeleton of an actor on its pipe, and give zactor_new its
 *  handshake: signals 0 on pipe at once.
 *
 *  Returns: a new loop, owned by the caller (zc_actor_destroy); NULL when
 *           out of memory, in which case both signals were sent already
 *           (the second one: failed) and the actor should free what it
 *           has and return
 *  Args:    pipe:     the actor's pipe (borrowed: CZMQ owns it)
 *  In:      watchdog: kicked every turn (borrowed; NULL: none, as for an
 *                     actor run as a thread of a test or a tool)
 */
zc_actor_t *
    zc_actor_new (zsock_t *pipe, zc_watchdog_t *watchdog);

/** Free the loop and null *self_p; safe on NULL and twice.
 *
 *  If zc_actor_run never ran, this is a failed start: it signals 1 on the
 *  pipe. If the last run ended by a zc_actor_stop, it sends
 *  ZC_ACTOR_STOPPED. Call it last, after the actor freed its own state,
 *  because the parent may go on (free the arguments, end the process) as
 *  soon as it reads that. Sockets registered with the loop stay the
 *  caller's.
 *  In/Out:  self_p: the loop; NULL afterwards
 */
void
    zc_actor_destroy (zc_actor_t **self_p);

/** Register a socket with its handler.
 *
 *  Returns: 0 registered; -1 when sock is registered already or
 *           ZC_ACTOR_SOCKETS_MAX are (nothing changed)
 *  Args:    self:    the loop
 *           sock:    a socket the caller owns and keeps open until it
 *                    removes it or destroys the loop (borrowed)
 *  In:      burst:   messages handled at most in one turn (at least 1), so
 *                    that a busy socket never starves the others
 *           handler: called while sock has a message (not NULL)
 *           arg:     passed to the handler
 */
int
    zc_actor_add (zc_actor_t *self, zsock_t *sock, int burst, zc_actor_handler_fn *handler,
                  void *arg);

/** Stop polling a socket (before closing it, or to ignore it from now on).
 *  Safe from a callback, and on a socket that is not registered.
 *  Args:  self: the loop
 *         sock: the socket (borrowed)
 */
void
    zc_actor_remove (zc_actor_t *self, zsock_t *sock);

/** The loop's poller, for a module that adds and removes sockets of its
 *  own (the gateway's p2p side: one per peer). A socket it adds without a
 *  handler goes to the handler set by zc_actor_set_others.
 *
 *  Returns: the poller (borrowed: lives as long as the loop)
 *  Args:    self: the loop
 */
zpoller_t *
    zc_actor_poller (zc_actor_t *self);

/** Who handles a socket that fired and was not registered with
 *  zc_actor_add: one added straight to zc_actor_poller. Called once per
 *  turn such a socket fires. A socket that fires with no handler at all
 *  is a caller's bug (it asserts).
 *  Args:  self:    the loop
 *  In:    handler: called with the socket (NULL: none)
 *         arg:     passed to it
 */
void
    zc_actor_set_others (zc_actor_t *self, zc_actor_handler_fn *handler, void *arg);

/** Run fn every interval_ms: first interval_ms after it is registered,
 *  then interval_ms after the turn that ran it (a slow run delays the
 *  next: runs never pile up). A timer runs at the end of a turn, so one
 *  may run late by as much as a burst of messages takes.
 *
 *  Returns: 0 registered; -1 when ZC_ACTOR_TIMERS_MAX are (nothing changed)
 *  Args:    self:        the loop
 *  In:      interval_ms: at least 1
 *           fn:          the periodic work (not NULL)
 *           arg:         passed to fn
 */
int
    zc_actor_add_timer (zc_actor_t *self, int64_t interval_ms, zc_actor_timer_fn *fn, void *arg);

/** Stop running a timer; safe from a callback (a timer may cancel itself)
 *  and on one that is not registered.
 *  Args:  self: the loop
 *  In:    fn:   the timer's function, with
 *         arg:  the timer's argument
 */
void
    zc_actor_remove_timer (zc_actor_t *self, zc_actor_timer_fn *fn, void *arg);

/** Push the service's metrics: every ZC_ACTOR_METRICS_MS, the first at the
 *  first turn, it calls sample (to set the gauges read at push time), adds
 *  the process's CPU and memory, and sends a snapshot on push without
 *  blocking. With push NULL (no sidecar) nothing is done.
 *  Args:  self:    the loop
 *  In:    metrics: the service's registry (borrowed, outlives the loop's runs)
 *         push:    a PUSH socket to the sidecar, or NULL (borrowed)
 *         sample:  called before each push, or NULL
 *         arg:     passed to sample
 */
void
    zc_actor_set_metrics (zc_actor_t *self, zc_metrics_t *metrics, zsock_t *push,
                          zc_actor_timer_fn *sample, void *arg);

/** Ask the service at the end of every turn how long the loop may wait:
 *  for a service whose deadlines move with its work (the gateway's peers)
 *  or that works between turns (the miner's hash batches).
 *  Args:  self: the loop
 *  In:    fn:   the question (NULL: none)
 *         arg:  passed to fn
 */
void
    zc_actor_set_wake (zc_actor_t *self, zc_actor_wake_fn *fn, void *arg);

/** Hand pipe commands other than $TERM to fn (without it they are logged
 *  at debug and dropped).
 *  Args:  self: the loop
 *  In:    fn:   the command handler (NULL: none)
 *         arg:  passed to fn
 */
void
    zc_actor_set_commands (zc_actor_t *self, zc_actor_command_fn *fn, void *arg);

/** Turn the loop until the actor is told to end or a callback stops it.
 *  The first run signals 0 (up) on the pipe before its first turn; a later
 *  run (after a zc_actor_stop, with other registrations: storage's halted
 *  mode) signals nothing. A run after the actor was told to end returns at
 *  once.
 *
 *  Returns: 0 when told to end: $TERM, a failed read of the pipe, an
 *           interrupt (SIGINT, SIGTERM) or a terminated poll;
 *           the code a callback gave zc_actor_stop (> 0) otherwise
 *  Args:    self: the loop
 */
int
    zc_actor_run (zc_actor_t *self);

/** Ask the loop to end when the current callback returns: no more
 *  messages of the burst, no more timers this turn. zc_actor_run returns
 *  code (a later stop before that replaces it). Called before a run (a
 *  start-up step failed after all), that run signals up and returns code
 *  at once.
 *  Args:  self: the loop
 *  In:    code: why, for the caller of zc_actor_run (> 0)
 */
void
    zc_actor_stop (zc_actor_t *self, int code);

/** For a long start-up that waits (another service to answer) before
 *  zc_actor_run: has the actor been told to end meanwhile? The command is
 *  left on the pipe.
 *
 *  Returns: true when the process is interrupted (SIGINT, SIGTERM) or a
 *           command waits on the pipe; false otherwise
 *  Args:    self: the loop
 */
bool
    zc_actor_told_to_end (zc_actor_t *self);

#endif
