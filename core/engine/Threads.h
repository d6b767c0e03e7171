// Thread settings for training on the CPU.
#pragma once

namespace mtlw {

/// Sets LibTorch's intra-op threads to the machine's cores and limits OpenBLAS, when it is the
/// BLAS in use, to one thread per call. LibTorch already splits work across its own threads, and
/// OpenBLAS threads started inside them oversubscribe the cores: on a 2-core machine that made
/// batch-32 training about 2.5 times slower (docs/benchmarks.md). Returns the intra-op threads.
int configureTrainingThreads();

}  // namespace mtlw
