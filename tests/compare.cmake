# Run comparison and `mtlw compare`: real run stores with known final metrics, curves and downsampling.
mtlw_add_test(test_compare ${CMAKE_CURRENT_SOURCE_DIR}/test_compare.cpp mtlw_compare)
add_dependencies(test_compare mtlw)
