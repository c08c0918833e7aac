// LORE_CHECK: a violated invariant is a bug, not bad input. It logs file and line and aborts
// in every build type. If a crafted file or request can trigger a check, that is a bug too:
// it should have been a Status. LORE_DCHECK is compiled out of release builds (hot loops).
#pragma once

#include <cstdio>
#include <cstdlib>

#define LORE_CHECK(cond, msg)                                                                  \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            std::fprintf(stderr, "lore: check failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                         #cond, msg);                                                          \
            std::abort();                                                                      \
        }                                                                                      \
    } while (false)

#ifdef NDEBUG
#define LORE_DCHECK(cond, msg) \
    do {                       \
    } while (false)
#else
#define LORE_DCHECK(cond, msg) LORE_CHECK(cond, msg)
#endif
