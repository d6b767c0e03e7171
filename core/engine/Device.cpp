#include "engine/Device.h"

#include "util/Errors.h"

namespace mtlw {

torch::Device resolveDevice(const std::string& name) {
    const bool cuda = torch::cuda::is_available();
    if (name == "auto") {
        return cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    }
    if (name == "cpu") {
        return torch::Device(torch::kCPU);
    }
    if (name.rfind("cuda", 0) == 0) {
        if (!cuda) {
            throw InputError("device '" + name +
                             "' requested, but this LibTorch build or machine has no CUDA device; use --device cpu");
        }
        torch::Device device(torch::kCUDA, 0);
        try {
            device = torch::Device(name);
        } catch (const c10::Error&) {
            throw InputError("device '" + name + "' is not a valid device name; use cpu, cuda or cuda:N");
        }
        if (device.index() >= static_cast<int>(torch::cuda::device_count())) {
            throw InputError("device '" + name + "' does not exist; this machine has " +
                             std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
        }
        return device;
    }
    throw InputError("device '" + name + "' is not a valid device name; use auto, cpu, cuda or cuda:N");
}

std::vector<std::string> availableDevices() {
    std::vector<std::string> devices{"cpu"};
    if (torch::cuda::is_available()) {
        for (size_t i = 0; i < torch::cuda::device_count(); ++i) {
            devices.push_back("cuda:" + std::to_string(i));
        }
    }
    return devices;
}

}  // namespace mtlw
