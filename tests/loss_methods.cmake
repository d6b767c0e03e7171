# Loss-weighting method tests (EW, UW, DWA, RLW, GLS, STCH, FAMO) and GradNorm: formulas checked
# by hand and against autograd, state save/load, and a table of edge cases.
mtlw_add_test(test_loss_methods ${CMAKE_CURRENT_SOURCE_DIR}/test_loss_methods.cpp mtlw_methods)
