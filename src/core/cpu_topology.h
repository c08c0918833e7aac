// How many threads the engine runs by default: one per physical core, as llama.cpp does.
// SMT siblings share one core's execution units and its path to memory, so a second thread
// on a core adds little to memory-bound generation and doubles the hand-offs of every
// matrix product. On hybrid CPUs (Intel since Alder Lake) only the performance cores
// count: the products split rows evenly, so every thread would wait for the slowest core.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lore {

// The CPUs of a Linux CPU list ("0-3,8,10-11"), ascending as written; nullopt if malformed.
std::optional<std::vector<int>> parse_cpu_list(std::string_view text);

// The CPUs this process may run on (its affinity mask, as taskset or a cpuset sets it);
// nullopt when unknown.
std::optional<std::vector<int>> process_affinity();

// Physical cores among the online CPUs in `affinity` (nullopt: all), as the sysfs tree under
// `sys_devices` (normally /sys/devices) describes them; on a hybrid CPU only performance
// cores (sys_devices/cpu_core/cpus), unless the affinity leaves none of them. 0 when the
// tree does not say.
int count_physical_cores(const std::string& sys_devices,
                         const std::optional<std::vector<int>>& affinity);

// count_physical_cores("/sys/devices", process_affinity()), or the hardware threads when
// that is 0; at least 1. Computed once.
int default_thread_count();

}  // namespace lore
