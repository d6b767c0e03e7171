# Multi-process training: sharding and rendezvous settings in process, and `mtlw launch` running
# real workers over Gloo on 127.0.0.1.
mtlw_add_test(test_distributed ${CMAKE_CURRENT_SOURCE_DIR}/test_distributed.cpp mtlw_core)
add_dependencies(test_distributed mtlw)
set_tests_properties(test_distributed PROPERTIES TIMEOUT 600)
