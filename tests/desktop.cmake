# The desktop application: document model, graph editor and a training run through the main window.
if(TARGET mtlw_desktop)
  mtlw_add_test(test_desktop ${CMAKE_CURRENT_SOURCE_DIR}/test_desktop.cpp mtlw_desktop)
endif()
