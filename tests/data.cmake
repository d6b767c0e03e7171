# Data loader tests: IDX, CSV and Multi-Fashion files in temporary folders, plus the
# Fashion-MNIST files of the dataset-fashion-mnist package.
mtlw_add_test(test_data ${CMAKE_CURRENT_SOURCE_DIR}/test_data.cpp mtlw_data)
