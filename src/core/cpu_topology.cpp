#include "core/cpu_topology.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace lore {

namespace {

// Upper bound on a CPU number we accept from sysfs (a malformed file must not make us
// build a list of billions).
constexpr int kMaxCpu = 1 << 16;

std::optional<int> parse_cpu(std::string_view text) {
    int value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || value < 0 || value >= kMaxCpu) {
        return std::nullopt;
    }
    return value;
}

// The first line of a file, without its newline; nullopt if it cannot be read.
std::optional<std::string> read_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) {
        return std::nullopt;
    }
    return line;
}

std::optional<std::vector<int>> read_cpu_list(const std::string& path) {
    std::optional<std::string> line = read_line(path);
    if (!line.has_value()) {
        return std::nullopt;
    }
    return parse_cpu_list(*line);
}

// The cores of `cpus` (each known by the lowest CPU among its hardware threads); 0 when a
// CPU's topology cannot be read.
int count_cores(const std::string& cpu_dir, const std::vector<int>& cpus) {
    std::set<int> cores;
    for (int cpu : cpus) {
        const std::string topology = cpu_dir + "/cpu" + std::to_string(cpu) + "/topology/";
        std::optional<std::vector<int>> siblings = read_cpu_list(topology + "core_cpus_list");
        if (!siblings.has_value()) {
            siblings = read_cpu_list(topology + "thread_siblings_list");  // before Linux 5.8
        }
        if (!siblings.has_value()) {
            return 0;
        }
        cores.insert((*siblings)[0]);
    }
    return static_cast<int>(cores.size());
}

}  // namespace

std::optional<std::vector<int>> parse_cpu_list(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.remove_suffix(1);
    }
    std::vector<int> cpus;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        const std::size_t dash = item.find('-');
        const std::optional<int> first = parse_cpu(item.substr(0, dash));
        const std::optional<int> last =
            dash == std::string_view::npos ? first : parse_cpu(item.substr(dash + 1));
        if (!first.has_value() || !last.has_value() || *last < *first) {
            return std::nullopt;
        }
        for (int cpu = *first; cpu <= *last; ++cpu) {
            cpus.push_back(cpu);
        }
        if (comma != std::string_view::npos && text.empty()) {
            return std::nullopt;  // a trailing comma
        }
    }
    if (cpus.empty()) {
        return std::nullopt;
    }
    return cpus;
}

std::optional<std::vector<int>> process_affinity() {
#if defined(__linux__)
    cpu_set_t mask;
    CPU_ZERO(&mask);
    if (sched_getaffinity(0, sizeof(mask), &mask) != 0) {
        return std::nullopt;
    }
    std::vector<int> cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(static_cast<std::size_t>(cpu), &mask)) {
            cpus.push_back(cpu);
        }
    }
    return cpus;
#else
    return std::nullopt;
#endif
}

int count_physical_cores(const std::string& sys_devices,
                         const std::optional<std::vector<int>>& affinity) {
    const std::string cpu_dir = sys_devices + "/system/cpu";
    const std::optional<std::vector<int>> online = read_cpu_list(cpu_dir + "/online");
    if (!online.has_value()) {
        return 0;
    }
    std::vector<int> cpus;
    const std::set<int> is_allowed = affinity.has_value()
                                         ? std::set<int>(affinity->begin(), affinity->end())
                                         : std::set<int>(online->begin(), online->end());
    for (int cpu : *online) {
        if (is_allowed.count(cpu) != 0) {
            cpus.push_back(cpu);
        }
    }
    // Hybrid Intel CPUs list their performance cores here (and the efficient ones in
    // cpu_atom). A process kept off every performance core counts the cores it has.
    if (const std::optional<std::vector<int>> performance =
            read_cpu_list(sys_devices + "/cpu_core/cpus")) {
        const std::set<int> is_performance(performance->begin(), performance->end());
        std::vector<int> performance_cpus;
        for (int cpu : cpus) {
            if (is_performance.count(cpu) != 0) {
                performance_cpus.push_back(cpu);
            }
        }
        if (!performance_cpus.empty()) {
            return count_cores(cpu_dir, performance_cpus);
        }
    }
    return count_cores(cpu_dir, cpus);
}

int default_thread_count() {
    static const int count = [] {
        const int cores = count_physical_cores("/sys/devices", process_affinity());
        if (cores > 0) {
            return cores;
        }
        return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    }();
    return count;
}

}  // namespace lore
