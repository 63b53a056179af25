#ifndef CKPT_CCHARLS_SHIM_H
#define CKPT_CCHARLS_SHIM_H
#include <charls/charls.h>
#endif
