// Compiles the precompiled header once; the other core libraries reuse it.
