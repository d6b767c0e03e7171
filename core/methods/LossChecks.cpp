#include "methods/LossChecks.h"

#include <cmath>
#include <stdexcept>

namespace mtlw {

void checkTaskLosses(const torch::Tensor& taskLosses, const std::string& method, bool requireNonNegative) {
    if (!taskLosses.defined() || taskLosses.dim() != 1 || taskLosses.size(0) < 1) {
        throw std::invalid_argument(method + ": expected a [tasks] vector of task losses with at least one entry, got " +
                                    (taskLosses.defined() ? "shape " + c10::str(taskLosses.sizes()) : "no tensor"));
    }
    if (!taskLosses.is_floating_point()) {
        throw std::invalid_argument(method + ": task losses must be floating-point values, got " +
                                    std::string(c10::toString(taskLosses.scalar_type())));
    }
    const torch::Tensor values = taskLosses.detach().to(torch::kCPU, torch::kDouble).contiguous();
    const auto entries = values.accessor<double, 1>();
    for (int64_t task = 0; task < values.size(0); ++task) {
        const double loss = entries[task];
        if (!std::isfinite(loss)) {
            throw std::invalid_argument(method + ": the loss of task " + std::to_string(task) + " is " +
                                        std::to_string(loss) +
                                        "; check that task's targets and outputs or lower the learning rate");
        }
        if (requireNonNegative && loss < 0.0) {
            throw std::invalid_argument(method + ": the loss of task " + std::to_string(task) + " is " +
                                        std::to_string(loss) + ", but " + method +
                                        " needs non-negative task losses; use a non-negative loss such as mse, "
                                        "l1 or cross-entropy, or another balancing method");
        }
    }
}

}  // namespace mtlw
