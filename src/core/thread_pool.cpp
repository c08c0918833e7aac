#include "core/thread_pool.h"

#include <algorithm>

namespace lore {

ThreadPool::ThreadPool(int n_threads) {
    if (n_threads <= 0) {
        n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    }
    n_threads_ = n_threads;
    workers_.reserve(static_cast<std::size_t>(n_threads_ - 1));
    for (int thread_idx = 1; thread_idx < n_threads_; ++thread_idx) {
        workers_.emplace_back([this, thread_idx] { worker_loop(thread_idx); });
    }
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        is_stopping_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& worker : workers_) {
        worker.join();
    }
}

void ThreadPool::run(const std::function<void(int, int)>& fn) {
    if (n_threads_ == 1) {
        fn(0, 1);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        task_ = &fn;
        n_pending_ = n_threads_ - 1;
        ++generation_;
    }
    work_cv_.notify_all();
    fn(0, n_threads_);
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return n_pending_ == 0; });
    task_ = nullptr;
}

void ThreadPool::parallel_for(std::int64_t n,
                              const std::function<void(std::int64_t, std::int64_t)>& fn) {
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
    std::uint64_t seen_generation = 0;
    for (;;) {
        const std::function<void(int, int)>* task = nullptr;
        {
            std::unique_lock<std::mutex> lock(mu_);
            work_cv_.wait(lock, [&] { return is_stopping_ || generation_ != seen_generation; });
            if (is_stopping_) {
                return;
            }
            seen_generation = generation_;
            task = task_;
        }
        (*task)(thread_idx, n_threads_);
        {
            std::lock_guard<std::mutex> lock(mu_);
            --n_pending_;
            if (n_pending_ == 0) {
                done_cv_.notify_one();
            }
        }
    }
}

}  // namespace lore
