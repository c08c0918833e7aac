#include "core/cpu_topology.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace lore {
namespace {

using Cpus = std::vector<int>;

TEST(CpuListTest, ParsesRangesAndSingleCpus) {
    EXPECT_EQ(parse_cpu_list("0"), Cpus({0}));
    EXPECT_EQ(parse_cpu_list("0-3\n"), Cpus({0, 1, 2, 3}));
    EXPECT_EQ(parse_cpu_list("0,2,4-5,8"), Cpus({0, 2, 4, 5, 8}));
}

TEST(CpuListTest, RejectsMalformedLists) {
    for (const char* text :
         {"", "\n", "a", "1-", "-1", "3-1", "0,", ",0", "0,,1", "1-2-3", "99999999"}) {
        EXPECT_FALSE(parse_cpu_list(text).has_value()) << '"' << text << '"';
    }
}

// A sysfs tree under a temporary directory: the online CPUs, each CPU's hardware-thread
// siblings, and (hybrid CPUs) the performance cores.
class FakeSysfs {
public:
    explicit FakeSysfs(const std::string& name)
        : root_(std::filesystem::temp_directory_path() / ("lore_cpu_topology_" + name)) {
        std::filesystem::remove_all(root_);
        std::filesystem::create_directories(root_ / "system/cpu");
    }

    ~FakeSysfs() { std::filesystem::remove_all(root_); }

    void write(const std::string& relative, const std::string& text) {
        const std::filesystem::path path = root_ / relative;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path) << text << '\n';
    }

    // CPUs `online`, each with the siblings list given for it (core_cpus_list).
    void set_cpus(const std::string& online, const std::map<int, std::string>& siblings) {
        write("system/cpu/online", online);
        for (const auto& [cpu, list] : siblings) {
            write("system/cpu/cpu" + std::to_string(cpu) + "/topology/core_cpus_list", list);
        }
    }

    std::string root() const { return root_.string(); }

private:
    std::filesystem::path root_;
};

TEST(CpuTopologyTest, CountsOneThreadPerPhysicalCore) {
    FakeSysfs sys("smt");
    // Two cores with two hardware threads each, numbered as Linux numbers them on x86.
    sys.set_cpus("0-3", {{0, "0,2"}, {1, "1,3"}, {2, "0,2"}, {3, "1,3"}});
    EXPECT_EQ(count_physical_cores(sys.root(), std::nullopt), 2);
}

TEST(CpuTopologyTest, CountsEveryCpuWithoutSmt) {
    FakeSysfs sys("no_smt");
    sys.set_cpus("0-2", {{0, "0"}, {1, "1"}, {2, "2"}});
    EXPECT_EQ(count_physical_cores(sys.root(), std::nullopt), 3);
}

// A hybrid CPU: two performance cores with SMT (CPUs 0-3) and four efficient cores (4-7).
void write_hybrid_cpu(FakeSysfs& sys) {
    sys.set_cpus(
        "0-7",
        {{0, "0-1"}, {1, "0-1"}, {2, "2-3"}, {3, "2-3"}, {4, "4"}, {5, "5"}, {6, "6"}, {7, "7"}});
    sys.write("cpu_core/cpus", "0-3");
    sys.write("cpu_atom/cpus", "4-7");
}

TEST(CpuTopologyTest, HybridCpusCountOnlyPerformanceCores) {
    FakeSysfs sys("hybrid");
    write_hybrid_cpu(sys);
    EXPECT_EQ(count_physical_cores(sys.root(), std::nullopt), 2);
}

TEST(CpuTopologyTest, CountsOnlyTheCpusOfTheAffinity) {
    FakeSysfs sys("affinity");
    write_hybrid_cpu(sys);
    EXPECT_EQ(count_physical_cores(sys.root(), Cpus({0, 1})), 1);     // both threads of a core
    EXPECT_EQ(count_physical_cores(sys.root(), Cpus({1, 2, 5})), 2);  // efficient core 5 left out
    EXPECT_EQ(count_physical_cores(sys.root(), Cpus({5, 6, 7})), 3);  // efficient cores only
}

TEST(CpuTopologyTest, OlderKernelsNameTheSiblingsThreadSiblingsList) {
    FakeSysfs sys("old_kernel");
    sys.write("system/cpu/online", "0-1");
    sys.write("system/cpu/cpu0/topology/thread_siblings_list", "0-1");
    sys.write("system/cpu/cpu1/topology/thread_siblings_list", "0-1");
    EXPECT_EQ(count_physical_cores(sys.root(), std::nullopt), 1);
}

TEST(CpuTopologyTest, UnreadableTopologyIsZero) {
    FakeSysfs sys("unreadable");
    EXPECT_EQ(count_physical_cores(sys.root(), std::nullopt), 0);  // no online list
    sys.write("system/cpu/online", "0-1");
    sys.write("system/cpu/cpu0/topology/core_cpus_list", "0");
    EXPECT_EQ(count_physical_cores(sys.root(), std::nullopt), 0);  // cpu1's siblings missing
    sys.write("system/cpu/cpu1/topology/core_cpus_list", "garbage");
    EXPECT_EQ(count_physical_cores(sys.root(), std::nullopt), 0);
}

TEST(CpuTopologyTest, DefaultThreadCountIsAtLeastOneAndAtMostTheHardwareThreads) {
    const int n = default_thread_count();
    EXPECT_GE(n, 1);
    EXPECT_LE(static_cast<unsigned>(n), std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace lore
