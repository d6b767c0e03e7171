# The Merge view: coefficient sliders re-evaluating task arithmetic on a tiny base and two
# fine-tuned runs of the tiny-tabular fixture, compared with a MergeSession of the test's own.
if(TARGET mtlw_desktop)
  mtlw_add_test(test_merge_view ${CMAKE_CURRENT_SOURCE_DIR}/test_merge_view.cpp mtlw_desktop)
  set_tests_properties(test_merge_view PROPERTIES TIMEOUT 300)
endif()
