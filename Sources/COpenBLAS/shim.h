#ifndef CKPT_COPENBLAS_SHIM_H
#define CKPT_COPENBLAS_SHIM_H
#include <cblas.h>
/* Headers only: nothing links against OpenBLAS; COpenBLASLoader dlopens it and resolves these. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
char *openblas_get_config(void);
#endif
