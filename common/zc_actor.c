/*  zc_actor.c - the one poll loop every service actor runs */
#include "zc_actor.h"
#include "zc_log.h"
#include "zc_time.h"

#include <stdlib.h>

typedef struct {
    zsock_t *sock;
    int burst;
    zc_actor_handler_fn *handler;
    void *arg;
} s_socket_t;

typedef struct {
    zc_actor_timer_fn *fn;              //  NULL: a free slot
    void *arg;
    int64_t interval_ms;
    int64_t due_ms;                     //  monotonic
} s_timer_t;

struct _zc_actor_t {
    zsock_t *pipe;
    zc_watchdog_t *watchdog;
    zpoller_t *poller;
    s_socket_t socket [ZC_ACTOR_SOCKETS_MAX];
    int n_sockets;
    s_timer_t timer [ZC_ACTOR_TIMERS_MAX];
    zc_actor_handler_fn *others;
    void *others_arg;
    zc_metrics_t *metrics;
    zsock_t *push;
    zc_actor_timer_fn *sample;
    void *sample_arg;
    int64_t next_push_ms;
    zc_actor_wake_fn *wake;
    void *wake_arg;
    int64_t wake_ms;                    //  the service's last answer
    zc_actor_command_fn *command;
    void *command_arg;
    bool up;                            //  signalled 0 after the handshake
    bool ended;                         //  told to end: stays so
    int stop_code;                      //  a callback's zc_actor_stop, this run
};

zc_actor_t *
zc_actor_new (zsock_t *pipe, zc_watchdog_t *watchdog)
{
    assert (pipe);
    //  zactor_new waits for this one; the second says up or failed
    zsock_signal (pipe, 0);
    zc_actor_t *self = calloc (1, sizeof *self);
    if (self)
        self->poller = zpoller_new (pipe, NULL);
    if (!self || !self->poller) {
        free (self);
        zc_error ("out of memory starting an actor");
        zsock_signal (pipe, 1);
        return NULL;
    }
    self->pipe = pipe;
    self->watchdog = watchdog;
    self->wake_ms = -1;
    return self;
}

void
zc_actor_destroy (zc_actor_t **self_p)
{
    assert (self_p);
    zc_actor_t *self = *self_p;
    if (!self)
        return;
    zsock_t *pipe = self->pipe;
    bool up = self->up;
    bool on_its_own = self->up && !self->ended;
    zpoller_destroy (&self->poller);
    free (self);
    *self_p = NULL;
    //  the last thing: the parent may free the arguments as soon as it
    //  reads it. Not a signal when it was up: a parent in zactor_destroy
    //  would take that for the thread's end
    if (!up)
        zsock_signal (pipe, 1);
    else
    if (on_its_own)
        zstr_send (pipe, ZC_ACTOR_STOPPED);
}

static int
s_find (zc_actor_t *self, void *sock)
{
    for (int i = 0; i < self->n_sockets; i++)
        if (self->socket [i].sock == sock)
            return i;
    return -1;
}

int
zc_actor_add (zc_actor_t *self, zsock_t *sock, int burst, zc_actor_handler_fn *handler,
              void *arg)
{
    assert (self);
    assert (sock);
    assert (handler);
    assert (burst >= 1);
    if (s_find (self, sock) >= 0 || self->n_sockets == ZC_ACTOR_SOCKETS_MAX
    ||  zpoller_add (self->poller, sock) != 0)
        return -1;
    self->socket [self->n_sockets++] = (s_socket_t) { sock, burst, handler, arg };
    return 0;
}

void
zc_actor_remove (zc_actor_t *self, zsock_t *sock)
{
    assert (self);
    int i = s_find (self, sock);
    if (i < 0)
        return;
    zpoller_remove (self->poller, sock);
    self->n_sockets--;
    for (; i < self->n_sockets; i++)
        self->socket [i] = self->socket [i + 1];
}

zpoller_t *
zc_actor_poller (zc_actor_t *self)
{
    assert (self);
    return self->poller;
}

void
zc_actor_set_others (zc_actor_t *self, zc_actor_handler_fn *handler, void *arg)
{
    assert (self);
    self->others = handler;
    self->others_arg = arg;
}

int
zc_actor_add_timer (zc_actor_t *self, int64_t interval_ms, zc_actor_timer_fn *fn, void *arg)
{
    assert (self);
    assert (fn);
    assert (interval_ms >= 1);
    for (int i = 0; i < ZC_ACTOR_TIMERS_MAX; i++)
        if (!self->timer [i].fn) {
            self->timer [i] = (s_timer_t) { fn, arg, interval_ms, zc_mono_ms () + interval_ms };
            return 0;
        }
    return -1;
}

void
zc_actor_remove_timer (zc_actor_t *self, zc_actor_timer_fn *fn, void *arg)
{
    assert (self);
    for (int i = 0; i < ZC_ACTOR_TIMERS_MAX; i++)
        if (self->timer [i].fn == fn && self->timer [i].arg == arg)
            self->timer [i].fn = NULL;
}

void
zc_actor_set_metrics (zc_actor_t *self, zc_metrics_t *metrics, zsock_t *push,
                      zc_actor_timer_fn *sample, void *arg)
{
    assert (self);
    assert (metrics || !push);
    self->metrics = metrics;
    self->push = push;
    self->sample = sample;
    self->sample_arg = arg;
    self->next_push_ms = 0;
}

void
zc_actor_set_wake (zc_actor_t *self, zc_actor_wake_fn *fn, void *arg)
{
    assert (self);
    self->wake = fn;
    self->wake_arg = arg;
    self->wake_ms = -1;
}

void
zc_actor_set_commands (zc_actor_t *self, zc_actor_command_fn *fn, void *arg)
{
    assert (self);
    self->command = fn;
    self->command_arg = arg;
}

void
zc_actor_stop (zc_actor_t *self, int code)
{
    assert (self);
    assert (code > 0);
    self->stop_code = code;
}

bool
zc_actor_told_to_end (zc_actor_t *self)
{
    assert (self);
    return zsys_interrupted || self->ended || (zsock_events (self->pipe) & ZMQ_POLLIN);
}

static bool
s_going (zc_actor_t *self)
{
    if (zsys_interrupted)
        self->ended = true;
    return !self->ended && !self->stop_code;
}

//  How long this turn may wait: the nearest timer, push or wake, at most
//  ZC_ACTOR_TURN_MS (a signal may land on another thread: zsys_interrupted
//  is then seen at the next turn, not by an interrupted poll)
static int
s_wait (zc_actor_t *self, int64_t now)
{
    int64_t wait = ZC_ACTOR_TURN_MS;
    for (int i = 0; i < ZC_ACTOR_TIMERS_MAX; i++)
        if (self->timer [i].fn && self->timer [i].due_ms - now < wait)
            wait = self->timer [i].due_ms - now;
    if (self->push && self->next_push_ms - now < wait)
        wait = self->next_push_ms - now;
    if (self->wake && self->wake_ms >= 0 && self->wake_ms < wait)
        wait = self->wake_ms;
    return (int) (wait > 0 ? wait : 0);
}

static void
s_on_pipe (zc_actor_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    char *command = msg ? zmsg_popstr (msg) : NULL;
    if (!command || streq (command, "$TERM"))
        self->ended = true;             //  (NULL: the read was interrupted)
    else
    if (self->command)
        self->command (self, command, msg, self->command_arg);
    else
        zc_debug ("actor: unknown command '%s' dropped", command);
    zstr_free (&command);
    zmsg_destroy (&msg);
}

static void
s_on_socket (zc_actor_t *self, void *which)
{
    int i = s_find (self, which);
    if (i < 0) {
        //  a socket added straight to the poller, with nobody to read it,
        //  would make every wait return at once
        assert (self->others);
        self->others (self, which, self->others_arg);
        return;
    }
    //  a copy: the handler may remove its own socket, or another
    s_socket_t s = self->socket [i];
    for (int n = 0; n < s.burst; n++) {
        s.handler (self, s.sock, s.arg);
        if (!s_going (self) || s_find (self, s.sock) < 0 || !(zsock_events (s.sock) & ZMQ_POLLIN))
            break;
    }
}

static void
s_timers (zc_actor_t *self, int64_t now)
{
    for (int i = 0; i < ZC_ACTOR_TIMERS_MAX && s_going (self); i++) {
        s_timer_t t = self->timer [i];
        if (!t.fn || now < t.due_ms)
            continue;
        t.fn (self, t.arg);
        //  unless it removed itself
        if (self->timer [i].fn == t.fn && self->timer [i].arg == t.arg)
            self->timer [i].due_ms = now + t.interval_ms;
    }
}

static void
s_push (zc_actor_t *self, int64_t now)
{
    if (!self->push || now < self->next_push_ms || !s_going (self))
        return;
    if (self->sample)
        self->sample (self, self->sample_arg);
    zc_metrics_sample_process (self->metrics);
    zc_metrics_push (self->metrics, self->push);
    self->next_push_ms = now + ZC_ACTOR_METRICS_MS;
}

int
zc_actor_run (zc_actor_t *self)
{
    assert (self);
    if (!self->up) {
        self->up = true;
        zsock_signal (self->pipe, 0);
    }
    bool first = true;
    while (s_going (self)) {
        int wait = first ? 0 : s_wait (self, zc_mono_ms ());
        first = false;
        void *which = zpoller_wait (self->poller, wait);
        if (which == self->pipe)
            s_on_pipe (self);
        else
        if (which)
            s_on_socket (self, which);
        else
        if (zpoller_terminated (self->poller))
            self->ended = true;
        int64_t now = zc_mono_ms ();
        s_timers (self, now);
        s_push (self, now);
        if (self->wake && s_going (self))
            self->wake_ms = self->wake (self, self->wake_arg);
        zc_watchdog_kick (self->watchdog);
    }
    int code = self->ended ? 0 : self->stop_code;
    self->stop_code = 0;                //  taken: a later run goes on
    return code;
}
