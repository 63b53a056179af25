// SIGBUS guard for read-only file mappings; the contract is in include/ckpt_sigbus.h.
//
// The handler runs on whichever thread touched the page (an OpenBLAS worker, a forward-pass thread), so
// it cannot unwind into Swift; it only repairs the mapping and sets a flag. Everything it does is
// async-signal-safe on Linux: atomic loads and stores, and the mmap/sigaction system calls.
#define _GNU_SOURCE
#include "ckpt_sigbus.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// A slot is live when `end` is non-zero. Writers (under `table_lock`) publish `start` then `end`, and
// retire a slot by clearing `end` first, so the lock-free handler never matches a half-written range.
typedef struct {
    _Atomic uintptr_t start;
    _Atomic uintptr_t end;
    _Atomic int faulted;
} guard_slot;

// One slot per simultaneously open mapped file; a folder with more shards than this still works,
// the extra mappings are unguarded (their truncation is still caught before each lend by fstat).
#define SLOT_COUNT 4096
static guard_slot slots[SLOT_COUNT];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static struct sigaction previous;
static uintptr_t page_mask;
static _Atomic unsigned long absorbed;
// 1: opted out (never install); 2: installed. Set once, under table_lock.
static _Atomic int state;

static void pass_on(int sig, siginfo_t *info, void *context) {
    if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
        previous.sa_sigaction(sig, info, context);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        return;
    }
    // No earlier handler: restore the default action and return; the faulting instruction runs again
    // and the process dies of SIGBUS exactly as it would have without this guard.
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGBUS, &dfl, NULL);
}

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < SLOT_COUNT; i++) {
        uintptr_t end = atomic_load(&slots[i].end);
        if (end == 0) continue;
        uintptr_t start = atomic_load(&slots[i].start);
        if (address < start || address >= end) continue;
        uintptr_t page = address & page_mask;
        void *zeros = mmap((void *)page, end - page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (zeros == MAP_FAILED) break;
        atomic_store(&slots[i].faulted, 1);
        atomic_fetch_add(&absorbed, 1);
        return;
    }
    pass_on(sig, info, context);
}

static void install(void) {
    page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous);
}

int ckpt_sigbus_opt_out(void) {
    pthread_mutex_lock(&table_lock);
    if (atomic_load(&state) == 0) atomic_store(&state, 1);
    int out = atomic_load(&state) == 1;
    pthread_mutex_unlock(&table_lock);
    return out;
}

static void install_unless_opted_out(void) {
    pthread_mutex_lock(&table_lock);
    if (atomic_load(&state) == 0) {
        install();
        atomic_store(&state, 2);
    }
    pthread_mutex_unlock(&table_lock);
}

int ckpt_sigbus_register(const void *start, size_t length) {
    if (start == NULL || length == 0) return -1;
    pthread_once(&install_once, install_unless_opted_out);
    if (atomic_load(&state) != 2) return -1;
    uintptr_t begin = (uintptr_t)start;
    // The whole last page belongs to the mapping, even past `length`.
    uintptr_t end = (begin + length + ~page_mask) & page_mask;
    int found = -1;
    pthread_mutex_lock(&table_lock);
    for (int i = 0; i < SLOT_COUNT; i++) {
        if (atomic_load(&slots[i].end) != 0) continue;
        atomic_store(&slots[i].faulted, 0);
        atomic_store(&slots[i].start, begin);
        atomic_store(&slots[i].end, end);
        found = i;
        break;
    }
    pthread_mutex_unlock(&table_lock);
    return found;
}

void ckpt_sigbus_unregister(int slot) {
    if (slot < 0 || slot >= SLOT_COUNT) return;
    pthread_mutex_lock(&table_lock);
    atomic_store(&slots[slot].end, 0);
    atomic_store(&slots[slot].start, 0);
    pthread_mutex_unlock(&table_lock);
}

int ckpt_sigbus_faulted(int slot) {
    if (slot < 0 || slot >= SLOT_COUNT) return 0;
    return atomic_load(&slots[slot].faulted);
}

unsigned long ckpt_sigbus_absorbed_count(void) { return atomic_load(&absorbed); }
