# Model merging tests: merge methods on small hand-built tensors, and merge sessions, `--init`
# and `mtlw merge` on the tiny-tabular fixture.
mtlw_add_test(test_merging ${CMAKE_CURRENT_SOURCE_DIR}/test_merging.cpp mtlw_core)
add_dependencies(test_merging mtlw)
set_tests_properties(test_merging PROPERTIES TIMEOUT 300)
