// ThreadPool: a fixed set of workers that run one parallel job at a time. The forward pass
// issues hundreds of small jobs per token (one per matrix product), so hand-off latency
// matters as much as throughput: workers spin on an atomic job counter for a short while
// after each job (a few tens of microseconds) before they sleep on a condition variable.
// The calling thread takes part as worker 0, so a pool of n threads starts n - 1 workers.
//
// Thread safety: run()/parallel_for() may be called from one thread at a time (one Session
// drives a pool); the workers synchronise with it internally.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "core/function_ref.h"

namespace lore {

// SpinBarrier: threads that run one job together wait here for each other between the
// job's phases (a generation step runs all its layers in one job, with a barrier between
// the products that read each other's rows). A phase is a few microseconds, so waiters spin;
// after a while they yield, so that a descheduled thread on an oversubscribed machine gets
// its core back.
//
// Each thread announces its arrival on a cache line of its own and watches the others'. The
// last to arrive thus never waits for a line the others hold: with one shared counter its
// atomic increment first had to take the line from the spinning waiters, a round trip
// between cores (and, on a VM whose vCPUs sit on two dies, between dies) before it could
// even see that it was last.
class SpinBarrier {
public:
    explicit SpinBarrier(int n_threads);
    SpinBarrier(const SpinBarrier&) = delete;
    SpinBarrier& operator=(const SpinBarrier&) = delete;

    // Returns once all n_threads threads have called it as often as thread `thread_idx`
    // (each thread passes its own index, 0 .. n_threads - 1).
    void arrive_and_wait(int thread_idx);

private:
    struct alignas(64) Slot {
        std::atomic<std::uint32_t> arrivals{0};
    };

    std::vector<Slot> slots_;
};

class ThreadPool {
public:
    // `n_threads` <= 0 means default_thread_count(): one per physical core.
    explicit ThreadPool(int n_threads);
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    ~ThreadPool();

    int n_threads() const { return n_threads_; }

    // Calls fn(thread_idx, n_threads) once on every thread (the caller is thread 0) and
    // returns when all calls have returned. fn divides the work by thread_idx itself.
    void run(FunctionRef<void(int thread_idx, int n_threads)> fn);

    // Splits [0, n) into contiguous ranges, one per thread: fn(begin, end).
    void parallel_for(std::int64_t n, FunctionRef<void(std::int64_t begin, std::int64_t end)> fn);

private:
    void worker_loop(int thread_idx);

    int n_threads_ = 1;
    std::vector<std::thread> workers_;
    // Each group of fields below sits on its own cache line: what run() writes and the
    // workers poll (the job), what the workers write and run() polls (the count of jobs
    // pending), and the sleeping state. Sharing one line made every hand-off move it
    // between the cores several times (0.77 against 0.52 µs per empty job, 2 threads).
    //
    // The current job; written by run() before job_id_ is published (release), read by
    // workers after they see the new id (acquire).
    alignas(64) FunctionRef<void(int, int)> task_;
    std::atomic<std::uint64_t> job_id_{0};
    std::atomic<bool> is_stopping_{false};
    alignas(64) std::atomic<int> n_pending_{0};
    // Sleeping workers wait here; run() notifies only when some are asleep. job_id_ and
    // n_sleeping_ are written and then the other read with sequential consistency on
    // both sides (a worker going to sleep, run() publishing a job), so one of the two
    // always sees the other's write: no wake-up is lost and run() takes no lock.
    alignas(64) std::atomic<int> n_sleeping_{0};
    std::mutex sleep_mu_;
    std::condition_variable sleep_cv_;
};

}  // namespace lore
