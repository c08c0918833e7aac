// ThreadPool: a fixed set of workers that run one parallel_for at a time. The forward pass
// splits each matrix product by output rows; the calling thread takes part as worker 0, so a
// pool of n threads starts n - 1 workers.
//
// Thread safety: parallel_for() may be called from one thread at a time (one Generation
// drives a pool); the workers synchronise with it internally.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lore {

class ThreadPool {
public:
    // `n_threads` <= 0 means the number of hardware threads.
    explicit ThreadPool(int n_threads);
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    ~ThreadPool();

    int n_threads() const { return n_threads_; }

    // Calls fn(thread_idx, n_threads) once on every thread (the caller is thread 0) and
    // returns when all calls have returned. fn divides the work by thread_idx itself.
    void run(const std::function<void(int thread_idx, int n_threads)>& fn);

    // Splits [0, n) into contiguous ranges, one per thread: fn(begin, end).
    void parallel_for(std::int64_t n,
                      const std::function<void(std::int64_t begin, std::int64_t end)>& fn);

private:
    void worker_loop(int thread_idx);

    int n_threads_ = 1;
    std::vector<std::thread> workers_;
    std::mutex mu_;
    std::condition_variable work_cv_;
    std::condition_variable done_cv_;
    const std::function<void(int, int)>* task_ = nullptr;  // guarded by mu_
    std::uint64_t generation_ = 0;                        // guarded by mu_
    int n_pending_ = 0;                                   // guarded by mu_
    bool is_stopping_ = false;                            // guarded by mu_
};

}  // namespace lore
