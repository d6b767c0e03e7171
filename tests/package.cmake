# The Debian package: cpack from this build tree, unpacked with dpkg-deb and run from there.
# It packs the already built binaries, so it runs after everything is built (as ./test does).
# Labeled "package": `ctest -L package` runs it alone, `ctest -LE package` skips it.
if(MTLW_BUILD_DESKTOP)
  mtlw_add_test(test_package ${CMAKE_CURRENT_SOURCE_DIR}/test_package.cpp mtlw_project)
  add_dependencies(test_package mtlw mtl-workbench)
  set_tests_properties(test_package PROPERTIES LABELS package TIMEOUT 300)
endif()
