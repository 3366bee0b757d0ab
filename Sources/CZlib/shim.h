#ifndef BSNN_CZLIB_SHIM_H
#define BSNN_CZLIB_SHIM_H
#include <zlib.h>
#endif
