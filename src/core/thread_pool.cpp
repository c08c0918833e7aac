#include "core/thread_pool.h"

#include <algorithm>

#include "core/cpu_topology.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace lore {

namespace {

// Spin iterations before a worker sleeps: 20-400 µs, as long as the CPU's pause takes
// (Zen 4: about 380 µs), longer than the gap between two matrix products of one token and
// far shorter than the gap between requests.
constexpr int kSpinIterations = 1 << 14;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

}  // namespace

SpinBarrier::SpinBarrier(int n_threads)
    : slots_(static_cast<std::size_t>(std::max(n_threads, 1))) {}

void SpinBarrier::arrive_and_wait(int thread_idx) {
    Slot& mine = slots_[static_cast<std::size_t>(thread_idx)];
    // Only this thread writes its count, so a relaxed read sees its own last write.
    const std::uint32_t arrivals = mine.arrivals.load(std::memory_order_relaxed) + 1;
    mine.arrivals.store(arrivals, std::memory_order_release);
    for (const Slot& other : slots_) {
        // A thread may already be one phase further (its count is then ahead): compare as a
        // difference, which stays right when the counts wrap around.
        for (int spin = 0; static_cast<std::int32_t>(
                               other.arrivals.load(std::memory_order_acquire) - arrivals) < 0;
             ++spin) {
            if (spin < kSpinIterations) {
                cpu_relax();
            } else {
                std::this_thread::yield();
            }
        }
    }
}

ThreadPool::ThreadPool(int n_threads) {
    if (n_threads <= 0) {
        n_threads = default_thread_count();
    }
    n_threads_ = n_threads;
    workers_.reserve(static_cast<std::size_t>(n_threads_ - 1));
    for (int thread_idx = 1; thread_idx < n_threads_; ++thread_idx) {
        workers_.emplace_back([this, thread_idx] { worker_loop(thread_idx); });
    }
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(sleep_mu_);
        is_stopping_.store(true, std::memory_order_release);
    }
    sleep_cv_.notify_all();
    for (std::thread& worker : workers_) {
        worker.join();
    }
}

void ThreadPool::run(FunctionRef<void(int, int)> fn) {
    if (n_threads_ == 1) {
        fn(0, 1);
        return;
    }
    task_ = fn;
    n_pending_.store(n_threads_ - 1, std::memory_order_relaxed);
    job_id_.fetch_add(1, std::memory_order_seq_cst);
    if (n_sleeping_.load(std::memory_order_seq_cst) > 0) {
        // A worker that counted itself asleep may still be checking job_id_ under the lock;
        // taking the lock waits until it is in wait(), where the notify reaches it.
        { std::lock_guard<std::mutex> lock(sleep_mu_); }
        sleep_cv_.notify_all();
    }
    fn(0, n_threads_);
    // Spin for the stragglers, then yield: on an oversubscribed machine a descheduled worker
    // needs this core back to finish.
    for (int spin = 0; n_pending_.load(std::memory_order_acquire) != 0; ++spin) {
        if (spin < kSpinIterations) {
            cpu_relax();
        } else {
            std::this_thread::yield();
        }
    }
}

void ThreadPool::parallel_for(std::int64_t n, FunctionRef<void(std::int64_t, std::int64_t)> fn) {
    if (n <= 0) {
        return;
    }
    run([&](int thread_idx, int n_threads) {
        std::int64_t chunk = (n + n_threads - 1) / n_threads;
        std::int64_t begin = std::min<std::int64_t>(n, chunk * thread_idx);
        std::int64_t end = std::min<std::int64_t>(n, begin + chunk);
        if (begin < end) {
            fn(begin, end);
        }
    });
}

void ThreadPool::worker_loop(int thread_idx) {
    std::uint64_t seen_job = 0;
    for (;;) {
        // Spin briefly for the next job, then sleep.
        std::uint64_t job = job_id_.load(std::memory_order_acquire);
        for (int spin = 0; job == seen_job && spin < kSpinIterations; ++spin) {
            if (is_stopping_.load(std::memory_order_acquire)) {
                return;
            }
            cpu_relax();
            job = job_id_.load(std::memory_order_acquire);
        }
        if (job == seen_job) {
            std::unique_lock<std::mutex> lock(sleep_mu_);
            n_sleeping_.fetch_add(1, std::memory_order_seq_cst);
            sleep_cv_.wait(lock, [&] {
                return is_stopping_.load(std::memory_order_acquire) ||
                       job_id_.load(std::memory_order_seq_cst) != seen_job;
            });
            n_sleeping_.fetch_sub(1, std::memory_order_acq_rel);
            if (is_stopping_.load(std::memory_order_acquire)) {
                return;
            }
            job = job_id_.load(std::memory_order_acquire);
        }
        seen_job = job;
        task_(thread_idx, n_threads_);
        n_pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

}  // namespace lore
