# Gradient-aggregation method tests: hand-built and seeded random gradient matrices.
mtlw_add_test(test_gradient_methods ${CMAKE_CURRENT_SOURCE_DIR}/test_gradient_methods.cpp mtlw_methods)
