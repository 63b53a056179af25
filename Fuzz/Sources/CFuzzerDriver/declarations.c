// Declarations only: LLVMFuzzerRunDriver comes from the libFuzzer runtime at link time.
#include "CFuzzerDriver.h"
