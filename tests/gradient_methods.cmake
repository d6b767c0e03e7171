# Gradient-aggregation method tests: hand-built and seeded random gradient matrices.
mtlw_add_test(test_gradient_methods ${CMAKE_CURRENT_SOURCE_DIR}/test_gradient_methods.cpp mtlw_methods)
# The test includes its generated .moc file; mtlw_add_test does not turn on AUTOMOC.
set_target_properties(test_gradient_methods PROPERTIES AUTOMOC ON)
