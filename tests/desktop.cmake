# The desktop application: document model, graph editor, plots and diagnostics views,
# autosave recovery, dataset view and training runs through the main window.
if(TARGET mtlw_desktop)
  mtlw_add_test(test_desktop ${CMAKE_CURRENT_SOURCE_DIR}/test_desktop.cpp mtlw_desktop)

  # The same executable against a real X server (Xvfb), for what the offscreen platform
  # cannot show: native windows, exposure, grabbing the screen.
  find_program(MTLW_XVFB_RUN xvfb-run)
  if(MTLW_XVFB_RUN)
    add_test(NAME test_desktop_xvfb COMMAND ${MTLW_XVFB_RUN} -a $<TARGET_FILE:test_desktop> windowOnRealDisplay)
    set_tests_properties(test_desktop_xvfb PROPERTIES ENVIRONMENT "QT_QPA_PLATFORM=xcb")
  else()
    message(STATUS "xvfb-run not found (Debian package xvfb): test_desktop_xvfb is not registered")
  endif()
endif()
