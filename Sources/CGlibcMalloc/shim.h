#pragma once
// glibc allocator settings, which Swift's Glibc module does not export.
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

/// Keeps a long export's resident memory flat. glibc raises its mmap threshold every time a
/// large block is freed, so an album's arrays (MBs each) soon come from the main heap and leave
/// it fragmented, growing by a few MB per large album; a fixed threshold gives them back to
/// the system when freed. One arena, not one per thread: the export's worker threads are
/// short-lived and each extra arena keeps its pages. No-op on other C libraries.
static inline void immich_export_tune_allocator(void) {
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_ARENA_MAX)
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_ARENA_MAX, 1);
#endif
}
