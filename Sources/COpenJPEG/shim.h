#ifndef CKPT_COPENJPEG_SHIM_H
#define CKPT_COPENJPEG_SHIM_H
#include <openjpeg.h>
#endif
