# Project model, graph builder, training engine and `mtlw` command-line tests. The fixtures in
# tests/fixtures are small projects on a Multi-Fashion sample and an 80-row CSV file.
mtlw_add_test(test_project ${CMAKE_CURRENT_SOURCE_DIR}/test_project.cpp mtlw_project)
mtlw_add_test(test_model ${CMAKE_CURRENT_SOURCE_DIR}/test_model.cpp mtlw_model)
mtlw_add_test(test_engine ${CMAKE_CURRENT_SOURCE_DIR}/test_engine.cpp mtlw_core)
# test_engine runs `mtlw train` in a child process for the kill -9 test.
add_dependencies(test_engine mtlw)
# test_cli reads JSON output only; mtlw_project brings nlohmann-json.
mtlw_add_test(test_cli ${CMAKE_CURRENT_SOURCE_DIR}/test_cli.cpp mtlw_project)
add_dependencies(test_cli mtlw)
set_tests_properties(test_engine PROPERTIES TIMEOUT 300)
# Tasks on separate datasets: per-task sampling and training runs on two synthetic datasets.
mtlw_add_test(test_task_sampling ${CMAKE_CURRENT_SOURCE_DIR}/test_task_sampling.cpp mtlw_core)
# Multilabel tasks: loss and metrics, multi-label CSV columns, the Multi-Fashion "items" target on
# generated files, and one short training run into a run store.
mtlw_add_test(test_multilabel ${CMAKE_CURRENT_SOURCE_DIR}/test_multilabel.cpp mtlw_core)
