//go:build unix && cgo

// Package early catches SIGINT and SIGTERM from kiln's first instruction
// until package interrupt subscribes to them with os/signal. Before, a
// SIGTERM in kiln's first tens of milliseconds killed it with exit status
// 143, and a SIGINT without the message of a run (issue 11, failure 9):
//
//   - a function of the executable's .preinit_array, the earliest code of
//     an executable (after the dynamic loader, before any constructor;
//     DuckDB's C++ initialisers take tens of milliseconds), installs a
//     handler that records the signal;
//   - the Go runtime then installs its own handler, which ends the process
//     on either signal until os/signal subscribes. With glibc, the
//     executable defines sigaction(2) (libc's is a weak alias of
//     __sigaction, which this one calls): while the signals are held, a
//     handler set for SIGINT or SIGTERM is kept aside, not installed, and
//     reported back as the current one, so the recording handler stays in
//     place. Elsewhere a guard thread puts the recording handler back as
//     soon as it sees the runtime's (best effort: it has to be scheduled);
//   - Release, called once os/signal listens, installs the handlers kept
//     aside (the runtime's), and says whether a signal arrived meanwhile.
package early

/*
#cgo LDFLAGS: -lpthread
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t kiln_signal;
static const int kiln_sigs[2] = {SIGINT, SIGTERM};
static volatile int kiln_held[2];         // held: the recording handler stays
static struct sigaction kiln_aside[2];    // the handler asked for meanwhile
static volatile int kiln_asked[2];        // kiln_aside holds one

static void kiln_record(int sig) { kiln_signal = sig; }

static int kiln_index(int sig) {
	return sig == SIGINT ? 0 : sig == SIGTERM ? 1 : -1;
}

#ifdef __GLIBC__
extern int __sigaction(int, const struct sigaction *, struct sigaction *);
#define kiln_real_sigaction __sigaction

// sigaction is libc's, but for SIGINT and SIGTERM while they are held: a
// new handler is kept aside and reported as the current one.
int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
	int i = kiln_index(sig);
	if (i < 0 || !kiln_held[i]) {
		return kiln_real_sigaction(sig, act, old);
	}
	if (old != NULL) {
		*old = kiln_aside[i];
	}
	if (act != NULL) {
		kiln_aside[i] = *act;
		kiln_asked[i] = 1;
	}
	return 0;
}
#else
#define kiln_real_sigaction sigaction
#endif

static void kiln_install(int i, struct sigaction *old) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = kiln_record;
	// Go's threads run signal handlers on their alternate stacks.
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	kiln_real_sigaction(kiln_sigs[i], &sa, old);
}

static pthread_mutex_t kiln_mu = PTHREAD_MUTEX_INITIALIZER;
static int kiln_released;

#ifndef __GLIBC__
// kiln_guard puts the recording handler back in front of any other (the
// Go runtime's) until released.
static void *kiln_guard(void *arg) {
	(void)arg;
	struct timespec tick = {0, 20000}; // 20 us
	for (;;) {
		pthread_mutex_lock(&kiln_mu);
		if (kiln_released) {
			pthread_mutex_unlock(&kiln_mu);
			return NULL;
		}
		int pending = 0;
		for (int i = 0; i < 2; i++) {
			if (!kiln_held[i] || kiln_asked[i]) {
				continue;
			}
			struct sigaction cur;
			if (sigaction(kiln_sigs[i], NULL, &cur) == 0 && cur.sa_handler != kiln_record &&
				cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN) {
				kiln_install(i, &kiln_aside[i]);
				kiln_asked[i] = 1;
			}
			pending |= !kiln_asked[i];
		}
		pthread_mutex_unlock(&kiln_mu);
		if (!pending) {
			return NULL;
		}
		nanosleep(&tick, NULL);
	}
}
#endif

static void kiln_start(void) {
	for (int i = 0; i < 2; i++) {
		struct sigaction old;
		if (kiln_real_sigaction(kiln_sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN) {
			continue; // a signal the parent ignores stays ignored
		}
		kiln_aside[i] = old;
		kiln_install(i, NULL);
		kiln_held[i] = 1;
	}
#ifndef __GLIBC__
	// The guard blocks every signal: none is delivered to it.
	sigset_t all, prev;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &prev);
	pthread_t t;
	if (pthread_create(&t, NULL, kiln_guard, NULL) == 0) {
		pthread_detach(t);
	}
	pthread_sigmask(SIG_SETMASK, &prev, NULL);
#endif
}

__attribute__((section(".preinit_array"), used)) static void (*kiln_preinit)(void) = kiln_start;

static int kiln_release(void) {
	pthread_mutex_lock(&kiln_mu);
	kiln_released = 1;
	for (int i = 0; i < 2; i++) {
		if (kiln_held[i]) {
			kiln_held[i] = 0;
			if (kiln_asked[i]) {
				kiln_real_sigaction(kiln_sigs[i], &kiln_aside[i], NULL);
			}
		}
	}
	pthread_mutex_unlock(&kiln_mu);
	return kiln_signal;
}
*/
import "C"

// Release gives SIGINT and SIGTERM back to the handlers set meanwhile (the
// Go runtime's); call it once os/signal listens to them. It reports
// whether either arrived before.
func Release() bool { return C.kiln_release() != 0 }
