# Fails when docs/contract.md differs from what rq-contract-doc writes now.
execute_process(COMMAND ${TOOL} --decisions-map ${MAP} OUTPUT_VARIABLE now RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "rq-contract-doc failed (${rc})")
endif()
file(READ ${DOC} committed)
if(NOT now STREQUAL committed)
  file(WRITE ${CMAKE_BINARY_DIR}/contract.md.new "${now}")
  message(FATAL_ERROR "docs/contract.md is out of date; the current text is in "
                      "${CMAKE_BINARY_DIR}/contract.md.new (build/bin/rq-contract-doc "
                      "--decisions-map fake_server/tests/DECISIONS.md > docs/contract.md)")
endif()
