// The shared part of the gradient-aggregation methods (MGDA, PCGrad, CAGrad, ...): input checks,
// the k = 1 shortcut, the task Gramian in double precision and small solvers on k x k matrices.
// The [k, d] gradient matrix stays on its device; only the k x k Gramian moves to the CPU.
#pragma once

#include "methods/BalancingMethod.h"

#include <functional>
#include <string>
#include <vector>

namespace mtlw {

// Base class of every MethodKind::Gradient method. aggregate() rejects malformed or non-finite
// gradients, returns a single task's gradient unchanged, records lastWeights() and otherwise
// calls aggregateTasks(). Weights are returned as [k] CPU double tensors.
class GradientMethod : public BalancingMethod {
public:
    /// Returns the plain sum of the task losses; weights are all ones.
    torch::Tensor combineLosses(const torch::Tensor& taskLosses, const StepContext& context) override;

    /// Throws std::invalid_argument naming the method and the task when `gradients` is not a
    /// [k, d] matrix or has a NaN or Inf entry.
    Aggregation aggregate(const torch::Tensor& gradients, const torch::Tensor& taskLosses,
                          const StepContext& context) final;

protected:
    /// Called with k >= 2 finite task gradients.
    virtual Aggregation aggregateTasks(const torch::Tensor& gradients, const torch::Tensor& taskLosses,
                                       const StepContext& context) = 0;
};

namespace gradient {

// Small dense row-major matrix in double precision, for the k x k problems.
struct SmallMatrix {
    int size = 0;
    std::vector<double> values;

    explicit SmallMatrix(int n = 0) : size(n), values(static_cast<std::size_t>(n) * n, 0.0) {}
    double& operator()(int row, int column) { return values[static_cast<std::size_t>(row) * size + column]; }
    double operator()(int row, int column) const { return values[static_cast<std::size_t>(row) * size + column]; }
};

using Vector = std::vector<double>;

/// G Gᵀ as a [k, k] CPU double tensor; the product runs on the device of `gradients`.
torch::Tensor gramian(const torch::Tensor& gradients);

/// Σ_i weights[i] · gradients[i] on the device and in the dtype of `gradients`.
torch::Tensor combine(const torch::Tensor& weights, const torch::Tensor& gradients);
torch::Tensor combine(const Vector& weights, const torch::Tensor& gradients);

SmallMatrix toSmallMatrix(const torch::Tensor& matrix);
torch::Tensor toTensor(const Vector& values);
Vector multiply(const SmallMatrix& matrix, const Vector& x);
double dot(const Vector& a, const Vector& b);
double quadraticForm(const SmallMatrix& matrix, const Vector& x);

/// Indices of the tasks whose gradient is not exactly zero (positive Gramian diagonal).
std::vector<int> nonzeroTasks(const SmallMatrix& gramian);
/// The Gramian restricted to the rows and columns in `tasks`.
SmallMatrix submatrix(const SmallMatrix& gramian, const std::vector<int>& tasks);
/// Scatters `values` (one per entry of `tasks`) into a vector of `size` zeros.
Vector expand(const Vector& values, const std::vector<int>& tasks, int size);

/// A random order of 0..n-1 drawn from `generator`, or from LibTorch's default generator when it is
/// null (then runs are not reproducible).
std::vector<int> randomPermutation(int n, torch::Generator* generator);

/// Euclidean projection onto the probability simplex {w >= 0, Σ w = 1}.
Vector projectOntoSimplex(const Vector& x);

/// Objective for minimizeOnSimplex: returns f(w) and, when `gradient` is not null, writes ∇f(w).
using SimplexObjective = std::function<double(const Vector& w, Vector* gradient)>;

/// Minimizes a convex function over the probability simplex by accelerated projected gradient
/// descent with backtracking and restarts. Stops when an iteration moves no coordinate by more
/// than `tolerance` or after `maxIterations`.
Vector minimizeOnSimplex(const SimplexObjective& objective, Vector start, int maxIterations, double tolerance);

/// Solves A x = b for a symmetric positive definite A by Cholesky decomposition. A pivot that is
/// not positive (a singular A) is replaced by a tiny positive value, so the result is always finite.
Vector solveSymmetricPositive(const SmallMatrix& a, const Vector& b);

/// Solves M w = w^(-1/alpha) with w > 0 (Nash-MTL for alpha = 1, FairGrad in general) by damped
/// Newton steps on the strictly convex potential ½ wᵀMw - Σ h(w_i) with h'(w) = w^(-1/alpha).
/// M must be positive semi-definite with a positive diagonal. A tiny ridge keeps the potential
/// bounded when M is singular. `start` (may be empty; then w_i = M_ii^(-1/(1+1/alpha)), the solution
/// for orthogonal gradients) is rescaled along its ray before the first step. Returns the last iterate after `maxIterations` Newton steps when it has not converged.
Vector solvePowerBalance(const SmallMatrix& m, double alpha, int maxIterations, const Vector& start);

/// Minimizes ½ vᵀHv subject to v >= lower, for a positive semi-definite H with a positive
/// diagonal, by an active-set method in the style of Lawson–Hanson, capped at 10k + 20 active-set
/// changes.
Vector minimizeQuadraticAboveBound(const SmallMatrix& h, const Vector& lower);

}  // namespace gradient
}  // namespace mtlw
