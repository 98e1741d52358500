# SPDX-License-Identifier: Apache-2.0
# cmake -DCOMMAND=PROGRAM -DARGS=a;b -DEXPECTED=FILE -P run_example.cmake: runs PROGRAM ARGS, wants exit 0,
# nothing on standard error and standard output equal to FILE.
execute_process(COMMAND ${COMMAND} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(READ ${EXPECTED} want)
if(NOT rc EQUAL 0 OR NOT out STREQUAL want OR NOT err STREQUAL "")
  message(FATAL_ERROR "${COMMAND} ${ARGS}\nexit: ${rc}\nstdout:\n${out}\nwanted:\n${want}\nstderr:\n${err}")
endif()
message(STATUS "${COMMAND}: output as expected")
