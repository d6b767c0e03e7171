// Shared input handling and k x k solvers of the gradient-aggregation methods.
#include "methods/GradientMethod.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace mtlw {

torch::Tensor GradientMethod::combineLosses(const torch::Tensor& taskLosses, const StepContext& context) {
    mLastWeights = torch::ones({taskLosses.size(0)}, torch::kDouble);
    return taskLosses.sum();
}

Aggregation GradientMethod::aggregate(const torch::Tensor& gradients, const torch::Tensor& taskLosses,
                                      const StepContext& context) {
    const std::string& name = info().name;
    if (!gradients.defined() || gradients.dim() != 2 || gradients.size(0) < 1) {
        throw std::invalid_argument(name + ": expected a [tasks, parameters] gradient matrix with at least one row, got " +
                                    (gradients.defined() ? "shape " + c10::str(gradients.sizes()) : "no tensor"));
    }
    if (!gradients.is_floating_point()) {
        throw std::invalid_argument(name + ": the gradient matrix must hold floating-point values, got " +
                                    std::string(c10::toString(gradients.scalar_type())));
    }
    const torch::Tensor finiteRows = torch::isfinite(gradients).all(1).to(torch::kCPU);
    const auto finite = finiteRows.accessor<bool, 1>();
    for (int64_t task = 0; task < finiteRows.size(0); ++task) {
        if (!finite[task]) {
            throw std::invalid_argument(name + ": the gradient of task " + std::to_string(task) +
                                        " (row " + std::to_string(task) +
                                        " of the gradient matrix) contains NaN or Inf; check that task's loss "
                                        "for NaN or Inf values or lower the learning rate");
        }
    }

    Aggregation result;
    const int64_t taskCount = gradients.size(0);
    if (taskCount == 1) {
        result.weights = torch::ones({1}, torch::kDouble);
        result.direction = gradients[0].clone();
    } else {
        result = aggregateTasks(gradients, taskLosses, context);
    }
    mLastWeights = result.weights.defined() ? result.weights.to(torch::kCPU, torch::kDouble)
                                            : torch::ones({taskCount}, torch::kDouble);
    return result;
}

namespace gradient {

torch::Tensor gramian(const torch::Tensor& gradients) {
    return torch::mm(gradients, gradients.t()).to(torch::kCPU, torch::kDouble);
}

torch::Tensor combine(const torch::Tensor& weights, const torch::Tensor& gradients) {
    const torch::Tensor row = weights.to(gradients.device(), gradients.scalar_type()).reshape({1, -1});
    return torch::mm(row, gradients).reshape({-1});
}

torch::Tensor combine(const Vector& weights, const torch::Tensor& gradients) {
    return combine(toTensor(weights), gradients);
}

SmallMatrix toSmallMatrix(const torch::Tensor& matrix) {
    const torch::Tensor values = matrix.to(torch::kCPU, torch::kDouble).contiguous();
    SmallMatrix result(static_cast<int>(values.size(0)));
    std::copy(values.data_ptr<double>(), values.data_ptr<double>() + values.numel(), result.values.begin());
    return result;
}

torch::Tensor toTensor(const Vector& values) {
    return torch::tensor(values, torch::kDouble);
}

Vector multiply(const SmallMatrix& matrix, const Vector& x) {
    Vector result(matrix.size, 0.0);
    for (int row = 0; row < matrix.size; ++row) {
        double sum = 0.0;
        for (int column = 0; column < matrix.size; ++column) {
            sum += matrix(row, column) * x[column];
        }
        result[row] = sum;
    }
    return result;
}

double dot(const Vector& a, const Vector& b) {
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

double quadraticForm(const SmallMatrix& matrix, const Vector& x) {
    return dot(x, multiply(matrix, x));
}

std::vector<int> nonzeroTasks(const SmallMatrix& gramian) {
    std::vector<int> tasks;
    for (int task = 0; task < gramian.size; ++task) {
        if (gramian(task, task) > 0.0) {
            tasks.push_back(task);
        }
    }
    return tasks;
}

SmallMatrix submatrix(const SmallMatrix& gramian, const std::vector<int>& tasks) {
    SmallMatrix result(static_cast<int>(tasks.size()));
    for (int row = 0; row < result.size; ++row) {
        for (int column = 0; column < result.size; ++column) {
            result(row, column) = gramian(tasks[row], tasks[column]);
        }
    }
    return result;
}

Vector expand(const Vector& values, const std::vector<int>& tasks, int size) {
    Vector result(size, 0.0);
    for (std::size_t index = 0; index < tasks.size(); ++index) {
        result[tasks[index]] = values[index];
    }
    return result;
}

std::vector<int> randomPermutation(int n, torch::Generator* generator) {
    c10::optional<torch::Generator> source;
    if (generator != nullptr) {
        source = *generator;
    }
    const torch::Tensor order = torch::randperm(n, source, torch::TensorOptions().dtype(torch::kLong));
    std::vector<int> result(n);
    for (int i = 0; i < n; ++i) {
        result[i] = static_cast<int>(order[i].item<int64_t>());
    }
    return result;
}

Vector projectOntoSimplex(const Vector& x) {
    // Sort-based projection: find the threshold θ with Σ max(x_i - θ, 0) = 1.
    Vector sorted = x;
    std::sort(sorted.begin(), sorted.end(), std::greater<double>());
    double cumulative = 0.0;
    double threshold = 0.0;
    for (std::size_t index = 0; index < sorted.size(); ++index) {
        cumulative += sorted[index];
        const double candidate = (cumulative - 1.0) / static_cast<double>(index + 1);
        if (sorted[index] - candidate > 0.0) {
            threshold = candidate;
        }
    }
    Vector result(x.size());
    for (std::size_t index = 0; index < x.size(); ++index) {
        result[index] = std::max(x[index] - threshold, 0.0);
    }
    return result;
}

Vector minimizeOnSimplex(const SimplexObjective& objective, Vector start, int maxIterations, double tolerance) {
    const std::size_t n = start.size();
    Vector x = projectOntoSimplex(start);
    Vector y = x;
    double fx = objective(x, nullptr);
    double momentum = 1.0;
    double lipschitz = 1.0;
    Vector gradientAtY(n);

    for (int iteration = 0; iteration < maxIterations; ++iteration) {
        const double fy = objective(y, &gradientAtY);
        Vector candidate(n);
        double fCandidate = 0.0;
        // Backtracking: grow the Lipschitz estimate until the quadratic upper bound holds.
        while (true) {
            Vector step(n);
            for (std::size_t i = 0; i < n; ++i) {
                step[i] = y[i] - gradientAtY[i] / lipschitz;
            }
            candidate = projectOntoSimplex(step);
            fCandidate = objective(candidate, nullptr);
            double linear = 0.0;
            double squared = 0.0;
            for (std::size_t i = 0; i < n; ++i) {
                const double difference = candidate[i] - y[i];
                linear += gradientAtY[i] * difference;
                squared += difference * difference;
            }
            const double bound = fy + linear + 0.5 * lipschitz * squared;
            if (fCandidate <= bound + 1e-15 * std::abs(fy) || lipschitz > 1e30) {
                break;
            }
            lipschitz *= 2.0;
        }

        if (fCandidate > fx) {
            // The momentum overshot: restart from the best point with a plain gradient step.
            y = x;
            momentum = 1.0;
            continue;
        }
        double move = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            move = std::max(move, std::abs(candidate[i] - x[i]));
        }
        const double nextMomentum = 0.5 * (1.0 + std::sqrt(1.0 + 4.0 * momentum * momentum));
        for (std::size_t i = 0; i < n; ++i) {
            y[i] = candidate[i] + (momentum - 1.0) / nextMomentum * (candidate[i] - x[i]);
        }
        x = candidate;
        fx = fCandidate;
        momentum = nextMomentum;
        if (move < tolerance) {
            break;
        }
        lipschitz *= 0.8;
    }
    return x;
}

Vector solveSymmetricPositive(const SmallMatrix& a, const Vector& b) {
    const int n = a.size;
    double maxDiagonal = 0.0;
    for (int i = 0; i < n; ++i) {
        maxDiagonal = std::max(maxDiagonal, std::abs(a(i, i)));
    }
    const double minPivot = std::max(maxDiagonal, 1.0) * 1e-14;

    SmallMatrix lower(n);
    for (int column = 0; column < n; ++column) {
        double pivot = a(column, column);
        for (int k = 0; k < column; ++k) {
            pivot -= lower(column, k) * lower(column, k);
        }
        lower(column, column) = std::sqrt(std::max(pivot, minPivot));
        for (int row = column + 1; row < n; ++row) {
            double value = a(row, column);
            for (int k = 0; k < column; ++k) {
                value -= lower(row, k) * lower(column, k);
            }
            lower(row, column) = value / lower(column, column);
        }
    }

    Vector y(n);
    for (int row = 0; row < n; ++row) {
        double value = b[row];
        for (int k = 0; k < row; ++k) {
            value -= lower(row, k) * y[k];
        }
        y[row] = value / lower(row, row);
    }
    Vector x(n);
    for (int row = n - 1; row >= 0; --row) {
        double value = y[row];
        for (int k = row + 1; k < n; ++k) {
            value -= lower(k, row) * x[k];
        }
        x[row] = value / lower(row, row);
    }
    return x;
}

namespace {

// ½ wᵀMw - Σ h(w_i) with h'(w) = w^(-exponent); +Inf outside w > 0.
double powerBalancePotential(const SmallMatrix& m, double exponent, const Vector& w) {
    double barrier = 0.0;
    for (double value : w) {
        if (value <= 0.0) {
            return std::numeric_limits<double>::infinity();
        }
        barrier += exponent == 1.0 ? std::log(value) : std::pow(value, 1.0 - exponent) / (1.0 - exponent);
    }
    return 0.5 * quadraticForm(m, w) - barrier;
}

}  // namespace

Vector solvePowerBalance(const SmallMatrix& m, double alpha, int maxIterations, const Vector& start) {
    const int n = m.size;
    const double exponent = 1.0 / alpha;

    // Work on M / (mean diagonal) so the tolerances do not depend on the gradients' scale.
    double scale = 0.0;
    for (int i = 0; i < n; ++i) {
        scale += m(i, i);
    }
    scale /= n;
    SmallMatrix normalized = m;
    for (double& value : normalized.values) {
        value /= scale;
    }
    // The ridge keeps the potential bounded below when M is singular, e.g. for opposite gradients.
    constexpr double kRidge = 1e-12;
    for (int i = 0; i < n; ++i) {
        normalized(i, i) += kRidge;
    }

    // Without a usable start, begin at the solution for orthogonal gradients, w_i = M_ii^(-1/(1+p)).
    Vector w(n);
    for (int i = 0; i < n; ++i) {
        w[i] = std::pow(normalized(i, i), -1.0 / (1.0 + exponent));
    }
    if (static_cast<int>(start.size()) == n && std::all_of(start.begin(), start.end(), [](double v) { return v > 0.0; })) {
        w = start;
    }
    // Best multiple c·w: c^(1+p) = Σ w_i^(1-p) / wᵀMw.
    double numerator = 0.0;
    for (double value : w) {
        numerator += std::pow(value, 1.0 - exponent);
    }
    const double rayScale = std::pow(numerator / quadraticForm(normalized, w), 1.0 / (1.0 + exponent));
    for (double& value : w) {
        value *= rayScale;
    }

    bool converged = false;
    for (int iteration = 0; iteration < maxIterations && !converged; ++iteration) {
        const Vector mw = multiply(normalized, w);
        Vector gradient(n);
        SmallMatrix hessian = normalized;
        for (int i = 0; i < n; ++i) {
            gradient[i] = mw[i] - std::pow(w[i], -exponent);
            hessian(i, i) += exponent * std::pow(w[i], -exponent - 1.0);
        }
        Vector step = solveSymmetricPositive(hessian, gradient);
        for (double& value : step) {
            value = -value;
        }
        const double slope = dot(gradient, step);
        if (-slope < 1e-24) {
            converged = true;
            break;
        }

        double length = 1.0;
        const double current = powerBalancePotential(normalized, exponent, w);
        Vector next(n);
        while (true) {
            for (int i = 0; i < n; ++i) {
                next[i] = w[i] + length * step[i];
            }
            if (powerBalancePotential(normalized, exponent, next) <= current + 0.25 * length * slope ||
                length < 1e-12) {
                break;
            }
            length *= 0.5;
        }
        if (std::any_of(next.begin(), next.end(), [](double v) { return !(v > 0.0); })) {
            break;
        }
        w = next;
    }
    if (!converged) {
        spdlog::debug("power-balance solver stopped after {} Newton steps before convergence", maxIterations);
    }

    // Undo the normalization: M (c w) = (c w)^(-p) holds for c^(1+p) = 1 / scale.
    const double unscale = std::pow(scale, -1.0 / (1.0 + exponent));
    for (double& value : w) {
        value *= unscale;
    }
    return w;
}

Vector minimizeQuadraticAboveBound(const SmallMatrix& h, const Vector& lower) {
    // Substituting v = lower + λ gives min ½λᵀHλ + qᵀλ over λ >= 0 with q = H·lower.
    const int n = h.size;
    const Vector q = multiply(h, lower);
    double scale = 1.0;
    for (int i = 0; i < n; ++i) {
        scale = std::max({scale, std::abs(q[i]), h(i, i)});
    }
    const double tolerance = 1e-13 * scale;

    Vector lambda(n, 0.0);
    std::vector<bool> free(n, false);
    const int maxSteps = 10 * n + 20;
    for (int outer = 0; outer < maxSteps; ++outer) {
        const Vector hLambda = multiply(h, lambda);
        int entering = -1;
        double steepest = tolerance;
        for (int i = 0; i < n; ++i) {
            const double descent = -(hLambda[i] + q[i]);
            if (!free[i] && descent > steepest) {
                steepest = descent;
                entering = i;
            }
        }
        if (entering < 0) {
            break;
        }
        free[entering] = true;

        for (int inner = 0; inner < maxSteps; ++inner) {
            std::vector<int> freeIndices;
            for (int i = 0; i < n; ++i) {
                if (free[i]) {
                    freeIndices.push_back(i);
                }
            }
            Vector rightSide(freeIndices.size());
            for (std::size_t i = 0; i < freeIndices.size(); ++i) {
                rightSide[i] = -q[freeIndices[i]];
            }
            const Vector reduced = solveSymmetricPositive(submatrix(h, freeIndices), rightSide);
            const Vector candidate = expand(reduced, freeIndices, n);

            bool feasible = true;
            double stepLength = 1.0;
            for (int i : freeIndices) {
                if (candidate[i] <= 0.0) {
                    feasible = false;
                    const double denominator = lambda[i] - candidate[i];
                    stepLength = std::min(stepLength, denominator > 0.0 ? lambda[i] / denominator : 0.0);
                }
            }
            if (feasible) {
                lambda = candidate;
                break;
            }
            // Move towards the candidate until a free coordinate hits its bound, then fix it there.
            for (int i : freeIndices) {
                lambda[i] += stepLength * (candidate[i] - lambda[i]);
                if (lambda[i] <= tolerance * 1e-3) {
                    lambda[i] = 0.0;
                    free[i] = false;
                }
            }
        }
    }

    Vector v(n);
    for (int i = 0; i < n; ++i) {
        v[i] = lower[i] + lambda[i];
    }
    return v;
}

}  // namespace gradient
}  // namespace mtlw
