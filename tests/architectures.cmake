# Task-aware architectures (mmoe, cgc, ple, moe, cross_stitch, lora), routing records and the
# synthetic-correlation dataset. Each training case runs one epoch of 4 steps on 64 samples.
mtlw_add_test(test_architectures ${CMAKE_CURRENT_SOURCE_DIR}/test_architectures.cpp mtlw_core)
set_tests_properties(test_architectures PROPERTIES TIMEOUT 300)
