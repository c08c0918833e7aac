#include "core/thread_pool.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace lore {
namespace {

TEST(ThreadPoolTest, ParallelForCoversEveryIndexOnce) {
    ThreadPool pool(3);
    std::vector<std::atomic<int>> hits(1001);

    for (int round = 0; round < 20; ++round) {
        pool.parallel_for(1001, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                hits[static_cast<std::size_t>(i)].fetch_add(1);
            }
        });
    }

    for (const auto& hit : hits) {
        EXPECT_EQ(hit.load(), 20);
    }
}

TEST(ThreadPoolTest, RunGivesEachThreadItsIndex) {
    ThreadPool pool(4);
    std::vector<std::atomic<int>> seen(4);

    pool.run([&](int thread_idx, int n_threads) {
        EXPECT_EQ(n_threads, 4);
        seen[static_cast<std::size_t>(thread_idx)].fetch_add(1);
    });

    for (const auto& s : seen) {
        EXPECT_EQ(s.load(), 1);
    }
}

TEST(ThreadPoolTest, ManyBackToBackJobsAllComplete) {
    ThreadPool pool(2);
    std::atomic<std::int64_t> total{0};

    for (int job = 0; job < 5000; ++job) {
        pool.run([&](int thread_idx, int) { total.fetch_add(thread_idx + 1); });
    }

    EXPECT_EQ(total.load(), 5000 * 3);
}

// Jobs spaced further apart than the workers spin, so each one meets sleeping workers (and
// some meet a worker on its way to sleep): every job must still run on every thread.
TEST(ThreadPoolTest, JobsWakeSleepingWorkers) {
    ThreadPool pool(3);
    std::atomic<std::int64_t> total{0};

    for (int job = 0; job < 40; ++job) {
        std::this_thread::sleep_for(std::chrono::microseconds(250 * (job % 8)));
        pool.run([&](int thread_idx, int) { total.fetch_add(thread_idx + 1); });
    }

    EXPECT_EQ(total.load(), 40 * 6);
}

// Each thread writes its slot of a phase, waits, then checks every other thread's slot of
// that phase: a barrier that let one thread through early would show a stale slot. Three
// threads on two cores also make waiters outlast their spinning and yield.
TEST(SpinBarrierTest, NoThreadPassesBeforeAllHaveArrived) {
    constexpr int kThreads = 3;
    constexpr int kPhases = 2000;
    ThreadPool pool(kThreads);
    SpinBarrier barrier(kThreads);
    std::vector<std::atomic<int>> phase_of(kThreads);
    std::atomic<int> n_stale{0};

    pool.run([&](int thread_idx, int n_threads) {
        for (int phase = 1; phase <= kPhases; ++phase) {
            phase_of[static_cast<std::size_t>(thread_idx)].store(phase, std::memory_order_relaxed);
            barrier.arrive_and_wait(thread_idx);
            for (int other = 0; other < n_threads; ++other) {
                const int seen =
                    phase_of[static_cast<std::size_t>(other)].load(std::memory_order_relaxed);
                if (seen < phase) {
                    n_stale.fetch_add(1);
                }
            }
            barrier.arrive_and_wait(
                thread_idx);  // nobody writes the next phase before all have read
        }
    });

    EXPECT_EQ(n_stale.load(), 0);
}

TEST(ThreadPoolTest, SingleThreadRunsInline) {
    ThreadPool pool(1);
    int calls = 0;

    pool.parallel_for(10, [&](std::int64_t begin, std::int64_t end) {
        EXPECT_EQ(begin, 0);
        EXPECT_EQ(end, 10);
        ++calls;
    });

    EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace lore
