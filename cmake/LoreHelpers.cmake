# Helpers, one per kind of target. Warnings live on lore_warnings; sanitizers and CPU
# options on lore_options; both are linked PRIVATE into every target of ours.

add_library(lore_warnings INTERFACE)
add_library(lore::warnings ALIAS lore_warnings)
target_compile_options(lore_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
    -Wimplicit-fallthrough)
if(LORE_WERROR)
    target_compile_options(lore_warnings INTERFACE -Werror)
endif()

add_library(lore_options INTERFACE)
if(LORE_NATIVE)
    target_compile_options(lore_options INTERFACE -march=native)
endif()
if(LORE_SANITIZE)
    string(REPLACE ";" "," lore_sanitizers "${LORE_SANITIZE}")
    target_compile_options(lore_options INTERFACE
        -fsanitize=${lore_sanitizers} -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(lore_options INTERFACE -fsanitize=${lore_sanitizers})
endif()

if(LORE_BUILD_FUZZERS)
    # Coverage instrumentation for the libraries the fuzzers reach.
    target_compile_options(lore_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
    target_link_options(lore_options INTERFACE -fsanitize=address,undefined)
endif()

# lore_add_library(NAME SOURCES a.cpp ... [DEPS lore::x ...] [SYSTEM_DEPS pkg ...])
# Creates lore_NAME (alias lore::NAME), sees include/ and src/.
function(lore_add_library name)
    cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;SYSTEM_DEPS" ${ARGN})
    add_library(lore_${name} STATIC ${ARG_SOURCES})
    add_library(lore::${name} ALIAS lore_${name})
    target_include_directories(lore_${name} PUBLIC
        $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
        $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
    target_link_libraries(lore_${name} PUBLIC ${ARG_DEPS} ${ARG_SYSTEM_DEPS}
                                       PRIVATE lore_warnings lore_options)
    target_link_libraries(lore_${name} INTERFACE lore_options)
    set_target_properties(lore_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# lore_add_test(NAME SOURCES a_test.cpp ... [DEPS ...] [LABELS unit ...])
# One executable per subsystem: lore_NAME_tests, registered with CTest. Tests run with
# the repository root as working directory, so test data is at tests/testdata/...
function(lore_add_test name)
    cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
    if(NOT ARG_LABELS)
        set(ARG_LABELS unit)
    endif()
    add_executable(lore_${name}_tests ${ARG_SOURCES})
    target_link_libraries(lore_${name}_tests PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main
                                                     lore_warnings lore_options)
    target_compile_definitions(lore_${name}_tests PRIVATE
        LORE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    gtest_discover_tests(lore_${name}_tests
        WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
        PROPERTIES LABELS "${ARG_LABELS}"
        DISCOVERY_TIMEOUT 60)
endfunction()

# lore_add_bench(NAME SOURCES a.cpp ... [DEPS ...])
function(lore_add_bench name)
    cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
    add_executable(lore_bench_${name} ${ARG_SOURCES})
    target_link_libraries(lore_bench_${name} PRIVATE ${ARG_DEPS} benchmark::benchmark
                                                     lore_warnings lore_options)
endfunction()

# lore_add_fuzzer(NAME SOURCES a.cpp ... [DEPS ...]): a libFuzzer target, clang only.
function(lore_add_fuzzer name)
    cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
    add_executable(lore_fuzz_${name} ${ARG_SOURCES})
    target_compile_options(lore_fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(lore_fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(lore_fuzz_${name} PRIVATE ${ARG_DEPS} lore_warnings)
endfunction()
