# The run browser: run table, curve overlay, seed-group bars, Pareto plot, hyperparameter
# differences and exports, on runs trained into a real run store.
if(TARGET mtlw_desktop)
  mtlw_add_test(test_compare_view ${CMAKE_CURRENT_SOURCE_DIR}/test_compare_view.cpp mtlw_desktop)
endif()
