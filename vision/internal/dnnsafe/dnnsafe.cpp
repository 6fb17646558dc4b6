#include "dnnsafe.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <cstring>
#include <exception>
#include <new>
#include <string>

namespace {

void setErr(char* err, size_t errlen, const std::string& msg) {
    if (err == nullptr || errlen == 0) return;
    size_t n = msg.size() < errlen - 1 ? msg.size() : errlen - 1;
    std::memcpy(err, msg.data(), n);
    err[n] = '\0';
}

}  // namespace

EgateNet egate_dnn_load_onnx(const char* buf, size_t len, char* err, size_t errlen) {
    try {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(buf, len);
        if (net.empty()) {
            setErr(err, errlen, "OpenCV returned an empty network");
            return nullptr;
        }
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        return new cv::dnn::Net(net);
    } catch (const cv::Exception& e) {
        setErr(err, errlen, e.what());
    } catch (const std::exception& e) {
        setErr(err, errlen, e.what());
    } catch (...) {
        setErr(err, errlen, "unknown C++ exception");
    }
    return nullptr;
}

int egate_dnn_forward(EgateNet p, const float* in, const int* shape, int ndims,
                      float* out, size_t outcap, size_t* outlen, int* oshape, int* ondims,
                      char* err, size_t errlen) {
    try {
        cv::dnn::Net* net = static_cast<cv::dnn::Net*>(p);
        // The Mat header aliases the caller's buffer; setInput copies it.
        cv::Mat blob(ndims, shape, CV_32F, const_cast<float*>(in));
        net->setInput(blob);
        cv::Mat res = net->forward();
        if (res.empty() || res.type() != CV_32F || !res.isContinuous()) {
            setErr(err, errlen, "network output is empty, not float32 or not continuous");
            return -1;
        }
        size_t n = res.total();
        *outlen = n;
        *ondims = res.dims;
        for (int i = 0; i < res.dims && i < 8; i++) oshape[i] = res.size[i];
        if (n > outcap) {
            setErr(err, errlen, "network output larger than the buffer");
            return -1;
        }
        std::memcpy(out, res.ptr<float>(), n * sizeof(float));
        return 0;
    } catch (const cv::Exception& e) {
        setErr(err, errlen, e.what());
    } catch (const std::exception& e) {
        setErr(err, errlen, e.what());
    } catch (...) {
        setErr(err, errlen, "unknown C++ exception");
    }
    return -1;
}

void egate_dnn_free(EgateNet p) {
    delete static_cast<cv::dnn::Net*>(p);
}
