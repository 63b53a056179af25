#ifndef CKPT_CDEFLATE_SHIM_H
#define CKPT_CDEFLATE_SHIM_H
#include <libdeflate.h>
#endif
