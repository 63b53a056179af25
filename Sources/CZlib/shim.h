#ifndef CKPT_CZLIB_SHIM_H
#define CKPT_CZLIB_SHIM_H
#include <zlib.h>
#endif
