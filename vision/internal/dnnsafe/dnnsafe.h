// C interface to a few OpenCV dnn calls, each wrapped in try/catch so that
// an OpenCV exception becomes an error message instead of std::terminate.
#ifndef EGATE_DNNSAFE_H
#define EGATE_DNNSAFE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void* EgateNet;

// egate_dnn_load_onnx parses an ONNX model held in memory. On failure it
// returns NULL and writes a message into err (errlen bytes, NUL-terminated).
EgateNet egate_dnn_load_onnx(const char* buf, size_t len, char* err, size_t errlen);

// egate_dnn_forward runs the network on a float32 input blob of the given
// shape and copies its first output into out (capacity outcap floats),
// writing the output's element count to *outlen and its shape to oshape
// (up to 8 dims, count in *ondims). Returns 0 on success.
int egate_dnn_forward(EgateNet net, const float* in, const int* shape, int ndims,
                      float* out, size_t outcap, size_t* outlen, int* oshape, int* ondims,
                      char* err, size_t errlen);

void egate_dnn_free(EgateNet net);

#ifdef __cplusplus
}
#endif

#endif
