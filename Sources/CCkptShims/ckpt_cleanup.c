#include "ckpt_shims.h"
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

enum { FREE = 0, WRITING = 1, READY = 2, UNLINKING = 3 };

// Static storage: nothing is allocated, so the signal handler touches only memory that exists.
static _Atomic int states[CKPT_CLEANUP_SLOTS];
static char paths[CKPT_CLEANUP_SLOTS][CKPT_CLEANUP_PATH_MAX];

int ckpt_cleanup_register(const char *path) {
    size_t n = strlen(path);
    if (n >= CKPT_CLEANUP_PATH_MAX) return -1;
    for (int i = 0; i < CKPT_CLEANUP_SLOTS; i++) {
        int expected = FREE;
        if (atomic_compare_exchange_strong(&states[i], &expected, WRITING)) {
            memcpy(paths[i], path, n + 1);
            atomic_store(&states[i], READY);  // seq_cst: the path is visible before the slot is ready
            return i;
        }
    }
    return -1;
}

void ckpt_cleanup_release(int slot) {
    if (slot < 0 || slot >= CKPT_CLEANUP_SLOTS) return;
    int expected = READY;
    // Fails only when a handler is unlinking this path: the process is about to end anyway.
    atomic_compare_exchange_strong(&states[slot], &expected, FREE);
}

void ckpt_cleanup_unlink_all(void) {
    for (int i = 0; i < CKPT_CLEANUP_SLOTS; i++) {
        int expected = READY;
        if (atomic_compare_exchange_strong(&states[i], &expected, UNLINKING)) {
            unlink(paths[i]);
            atomic_store(&states[i], FREE);
        }
    }
}
