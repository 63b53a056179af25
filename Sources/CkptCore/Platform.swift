// ckpt is Linux only (glibc, mmap and SIGBUS semantics, splice/copy_file_range, dlopen'ed libcrypto and OpenBLAS).
// Said once, here, in the module every other one imports, instead of Darwin branches in every file that imports
// the C library: those files import Glibc.
#if !os(Linux)
#error("ckpt builds on Linux only")
#endif
