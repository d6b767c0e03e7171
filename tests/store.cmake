# Run store tests: real SQLite files in temporary folders.
mtlw_add_test(test_run_store ${CMAKE_CURRENT_SOURCE_DIR}/test_run_store.cpp mtlw_store)
