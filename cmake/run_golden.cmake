cmake_minimum_required(VERSION 3.21)

# Runs one golden test: the crmflow CLI on the arguments in CASE_DIR/cmd, stdout compared
# byte-for-byte with CASE_DIR/expected.jsonl (or expected.txt).
#
#   cmake -DCLI=<crmflow> -DCASE_DIR=<tests/golden/name> -DSRC=<source dir> -DWORK_DIR=<scratch>
#         -P run_golden.cmake
#
# Files in CASE_DIR:
#   cmd              one line of CLI arguments; @SRC@ stands for the source dir, @WORK@ for a
#                    scratch dir in the build tree (also the working directory)
#   expected.jsonl   expected stdout (or expected.txt); @SRC@ in it stands for the source dir
#   expected_exit    optional, expected exit code (default 0)
#   expected_stderr.txt  optional, expected stderr, same rules as expected stdout
#   stdin            optional, fed to the CLI's standard input
#   setup            optional, CLI argument lines run first (same @SRC@/@WORK@), each must exit 0;
#                    their output is dropped (e.g. a simulate --store that makes a store)

foreach(var CLI CASE_DIR SRC WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_golden.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

if(EXISTS "${CASE_DIR}/setup")
  file(STRINGS "${CASE_DIR}/setup" setup_lines)
  foreach(setup_line IN LISTS setup_lines)
    separate_arguments(setup_args UNIX_COMMAND "${setup_line}")
    list(TRANSFORM setup_args REPLACE "@SRC@" "${SRC}")
    list(TRANSFORM setup_args REPLACE "@WORK@" "${WORK_DIR}")
    execute_process(COMMAND "${CLI}" ${setup_args} WORKING_DIRECTORY "${WORK_DIR}"
                    OUTPUT_QUIET ERROR_VARIABLE setup_err RESULT_VARIABLE setup_exit TIMEOUT 100)
    if(NOT setup_exit EQUAL 0)
      message(FATAL_ERROR "setup `crmflow ${setup_line}` exited ${setup_exit}:\n${setup_err}")
    endif()
  endforeach()
endif()

file(STRINGS "${CASE_DIR}/cmd" cmd_lines)
list(GET cmd_lines 0 cmd_line)
separate_arguments(args UNIX_COMMAND "${cmd_line}")
list(TRANSFORM args REPLACE "@SRC@" "${SRC}")
list(TRANSFORM args REPLACE "@WORK@" "${WORK_DIR}")

if(EXISTS "${CASE_DIR}/expected.jsonl")
  set(expected_stdout "${CASE_DIR}/expected.jsonl")
elseif(EXISTS "${CASE_DIR}/expected.txt")
  set(expected_stdout "${CASE_DIR}/expected.txt")
else()
  message(FATAL_ERROR "${CASE_DIR}: no expected.jsonl or expected.txt")
endif()

set(expected_exit 0)
if(EXISTS "${CASE_DIR}/expected_exit")
  file(READ "${CASE_DIR}/expected_exit" expected_exit)
  string(STRIP "${expected_exit}" expected_exit)
endif()

set(input_args)
if(EXISTS "${CASE_DIR}/stdin")
  set(input_args INPUT_FILE "${CASE_DIR}/stdin")
endif()

list(JOIN args " " shown)
message(STATUS "crmflow ${shown}")
execute_process(
  COMMAND "${CLI}" ${args}
  WORKING_DIRECTORY "${WORK_DIR}"
  ${input_args}
  OUTPUT_FILE "${WORK_DIR}/actual_stdout"
  ERROR_FILE "${WORK_DIR}/actual_stderr"
  RESULT_VARIABLE exit_code
  TIMEOUT 100)

set(failed FALSE)

# Compares `actual` with `expected` after putting the source dir in place of @SRC@.
function(compare what expected actual)
  file(READ "${expected}" text)
  if(text MATCHES "@SRC@")
    string(REPLACE "@SRC@" "${SRC}" text "${text}")
    get_filename_component(name "${expected}" NAME)
    set(expected "${WORK_DIR}/${name}")
    file(WRITE "${expected}" "${text}")
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${expected}" "${actual}"
                  RESULT_VARIABLE differs OUTPUT_QUIET ERROR_QUIET)
  if(differs)
    message("${what} differs from ${expected}:")
    execute_process(COMMAND diff -u "${expected}" "${actual}")
    set(failed TRUE PARENT_SCOPE)
  endif()
endfunction()

compare(stdout "${expected_stdout}" "${WORK_DIR}/actual_stdout")
if(EXISTS "${CASE_DIR}/expected_stderr.txt")
  compare(stderr "${CASE_DIR}/expected_stderr.txt" "${WORK_DIR}/actual_stderr")
endif()

if(NOT "${exit_code}" STREQUAL "${expected_exit}")
  message("exit code ${exit_code}, expected ${expected_exit}")
  set(failed TRUE)
endif()

if(failed)
  file(READ "${WORK_DIR}/actual_stderr" stderr_text)
  if(stderr_text)
    message("stderr:\n${stderr_text}")
  endif()
  message(FATAL_ERROR "golden test ${CASE_DIR} failed")
endif()
