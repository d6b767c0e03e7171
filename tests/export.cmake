# Model export and `mtlw export`: trains tiny runs, exports them and loads the files with
# LibTorch and with PyTorch in /usr/bin/python3 (python3-torch).
mtlw_add_test(test_export ${CMAKE_CURRENT_SOURCE_DIR}/test_export.cpp mtlw_export)
add_dependencies(test_export mtlw)
set_tests_properties(test_export PROPERTIES TIMEOUT 300)
