cmake_minimum_required(VERSION 3.21)

# Builds and runs a small program that uses crmflow the way a host project would.
#
#   MODE=find_package      install BUILD_DIR into WORK_DIR/prefix, then build examples/host
#                          with find_package(crmflow) against that prefix only
#   MODE=add_subdirectory  build tests/subdir_consumer, which add_subdirectory()s the source tree
#
# Other inputs (all passed by the crmflow_... tests in CMakeLists.txt): SRC, BUILD_DIR, WORK_DIR,
# CONFIG, GENERATOR, MAKE_PROGRAM, CXX_COMPILER, SHARED, SANITIZE_FLAGS.

foreach(var MODE SRC BUILD_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "consumer_test.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()

function(run)
  list(JOIN ARGN " " shown)
  message(STATUS "${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${shown}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(consumer_build "${WORK_DIR}/build")
set(configure_args
  -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DCMAKE_BUILD_TYPE=${CONFIG}"
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(SANITIZE_FLAGS)
  # The library was built instrumented; the consumer must link the sanitizer runtimes too.
  list(APPEND configure_args
    "-DCMAKE_CXX_FLAGS=${SANITIZE_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${SANITIZE_FLAGS}"
    "-DCMAKE_SHARED_LINKER_FLAGS=${SANITIZE_FLAGS}")
endif()

if(MODE STREQUAL "find_package")
  set(prefix "${WORK_DIR}/prefix")
  run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}" --config "${CONFIG}")
  run("${CMAKE_COMMAND}" -S "${SRC}/examples/host" -B "${consumer_build}" ${configure_args}
      "-DCMAKE_PREFIX_PATH=${prefix}")
  # Make sure the package came from our prefix and not from somewhere on the system.
  file(STRINGS "${consumer_build}/CMakeCache.txt" found_dir REGEX "^crmflow_DIR:")
  string(FIND "${found_dir}" "${prefix}/" at)
  if(NOT at GREATER -1)
    message(FATAL_ERROR "crmflow was found outside the test prefix: ${found_dir}")
  endif()
  set(program crmflow_host)
elseif(MODE STREQUAL "add_subdirectory")
  run("${CMAKE_COMMAND}" -S "${SRC}/tests/subdir_consumer" -B "${consumer_build}" ${configure_args}
      "-DCRMFLOW_ROOT=${SRC}" "-DBUILD_SHARED_LIBS=${SHARED}")
  set(program subdir_consumer)
else()
  message(FATAL_ERROR "consumer_test.cmake: unknown MODE '${MODE}'")
endif()

cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
run("${CMAKE_COMMAND}" --build "${consumer_build}" --config "${CONFIG}" --parallel ${jobs})

foreach(candidate "${consumer_build}/${program}" "${consumer_build}/${CONFIG}/${program}")
  if(EXISTS "${candidate}")
    run("${candidate}")
    return()
  endif()
endforeach()
message(FATAL_ERROR "built ${program} but cannot find it under ${consumer_build}")
