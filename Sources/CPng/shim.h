#ifndef CKPT_CPNG_SHIM_H
#define CKPT_CPNG_SHIM_H
#include <png.h>
#endif
