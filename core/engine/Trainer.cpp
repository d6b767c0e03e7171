#include "engine/Trainer.h"

#include "engine/Baselines.h"
#include "engine/Checkpoint.h"
#include "engine/Device.h"
#include "engine/GradientDiagnostics.h"
#include "engine/ProjectModel.h"
#include "engine/TaskObjective.h"
#include "engine/RoutingRecords.h"
#include "engine/Threads.h"
#include "engine/WeightInit.h"
#include "distributed/DistributedContext.h"
#include "distributed/RendezvousHost.h"
#include "util/Errors.h"
#include "util/Version.h"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/sinks/basic_file_sink.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace mtlw {

namespace {

constexpr std::int64_t kEvaluationBatchSize = 1024;

std::string formatSeconds(double seconds) {
    std::ostringstream text;
    text.precision(1);
    text << std::fixed << seconds << " s";
    return text.str();
}

std::unique_ptr<torch::optim::Optimizer> createOptimizer(const OptimizerSpec& spec,
                                                         const std::vector<torch::Tensor>& parameters) {
    if (spec.type == "sgd") {
        return std::make_unique<torch::optim::SGD>(
            parameters, torch::optim::SGDOptions(spec.learningRate).momentum(spec.momentum).weight_decay(spec.weightDecay));
    }
    if (spec.type == "adamw") {
        return std::make_unique<torch::optim::AdamW>(
            parameters, torch::optim::AdamWOptions(spec.learningRate).weight_decay(spec.weightDecay));
    }
    return std::make_unique<torch::optim::Adam>(
        parameters, torch::optim::AdamOptions(spec.learningRate).weight_decay(spec.weightDecay));
}

torch::Generator seededGenerator(std::uint64_t seed) {
    return at::make_generator<at::CPUGeneratorImpl>(seed);
}

}  // namespace

Project projectOfRun(const RunRecord& run) {
    Project project = parseProject(nlohmann::json::parse(run.projectJson), "run " + std::to_string(run.id));
    project.filePath = run.projectPath;
    return project;
}

Trainer::Trainer(TrainRequest request, EventQueue* events, TrainingControl* control)
    : mRequest(std::move(request)), mEvents(events), mControl(control) {}

Trainer::~Trainer() = default;

void Trainer::prepare() {
    Project& project = mRequest.project;
    if (mRequest.storePath.empty()) {
        mRequest.storePath = RunStore::defaultPathFor(project.filePath);
    }
    // Other ranks never open the store: rank 0 alone records the run.
    if (isLeader()) {
        mStore = std::make_unique<RunStore>(mRequest.storePath);
    }

    mDevice = resolveDevice(project.training.device);
    if (mRequest.distributed && mDevice.is_cuda() && !mDevice.has_index()) {
        mDevice = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(mRequest.distributed->localRank()));
    }
    mData = loadProjectData(project);
    const auto& training = project.training;
    if (!mData.shared()) {
        if (mRequest.distributed) {
            // NOTE: per-task sampling is not sharded across ranks yet.
            throw InputError("the tasks of " + project.name + " read " + std::to_string(mData.datasets.size()) +
                             " different datasets, which multi-process training does not support yet; "
                             "train in one process");
        }
        std::vector<std::int64_t> sizes;
        for (size_t t = 0; t < project.tasks.size(); ++t) {
            sizes.push_back(mData.taskDataset(t).train.size());
        }
        mSampler = std::make_unique<TaskSampler>(
            sizes, taskSamplingProbabilities(training.taskSampling, training.samplingTemperature, sizes),
            training.batchSize, training.singleTaskBatches, training.seed);
    } else if (training.singleTaskBatches) {
        throw InputError("training.single_task_batches applies when tasks read different datasets, but every task "
                         "of " + project.name + " reads dataset '" + mData.datasets.front().name +
                         "'; set it to false");
    }

    // Model: validate the graph and infer shapes before building anything.
    torch::manual_seed(training.seed);
    mModel = buildProjectModel(project, mData);
    if (!mRequest.initCheckpoint.empty() && !mRequest.resumeRunId) {
        const std::size_t copied = initializeFromCheckpoint(*mModel, mRequest.initCheckpoint);
        spdlog::info("initialized {} tensors from {}", copied, mRequest.initCheckpoint);
    }
    mModel->to(mDevice);

    mMethod = createMethod(project.training.method.name, project.training.method.params, "training.method");
    if (training.singleTaskBatches && mSampler && training.samRho > 0.0) {
        throw InputError("training.sam_rho takes every task's gradient at each step, but single_task_batches "
                         "trains each step on one task; set sam_rho to 0 or turn single_task_batches off");
    }
    if (training.singleTaskBatches && mSampler && project.training.method.name != "ew") {
        throw InputError("training.single_task_batches trains each step on one task's loss, so method " +
                         mMethod->info().name + ", which balances the tasks within a step, cannot apply; "
                         "set training.method to ew or turn single_task_batches off");
    }
    mUseRepresentation = mMethod->info().kind == MethodKind::Gradient &&
                         (project.training.gradientMode == "representation" || mMethod->info().usesRepresentation);
    if (mUseRepresentation && !mModel->hasSharedRepresentation()) {
        throw InputError("method " + mMethod->info().name +
                         " takes task gradients on the shared representation, but the heads read different nodes; "
                         "connect every head to the same node or set training.gradient_mode to parameters");
    }
    if (mUseRepresentation && project.training.samRho > 0.0) {
        throw InputError("training.sam_rho needs task gradients on the shared parameters, but method " +
                         mMethod->info().name + " takes them on the shared representation; set sam_rho to 0 or "
                         "training.gradient_mode to parameters");
    }
    if (mUseRepresentation && mRequest.distributed) {
        // NOTE: per-sample representation gradients of different samples cannot be averaged
        // across ranks; multi-process training supports parameter-mode gradients only.
        throw InputError("method " + mMethod->info().name +
                         " takes task gradients on the shared representation, which multi-process training "
                         "cannot average across ranks; set training.gradient_mode to parameters, pick another "
                         "method, or train in one process");
    }
    for (const auto& task : project.tasks) {
        mTaskNames.push_back(task.name);
    }
    mMethod->reset(static_cast<int>(project.tasks.size()), mDevice);
    std::vector<torch::Tensor> parameters = mModel->parameters();
    for (const auto& parameter : mMethod->parameters()) {
        parameters.push_back(parameter);
    }
    mOptimizer = createOptimizer(project.training.optimizer, parameters);
    mMethodGenerator = seededGenerator(project.training.seed ^ 0x9e3779b97f4a7c15ULL);

    configureTrainingThreads();
    if (mRequest.distributed && threadsPerLocalWorker() > 0) {
        // Workers on one machine share its cores.
        torch::set_num_threads(threadsPerLocalWorker());
    }
}

void Trainer::createOrReopenRun() {
    const Project& project = mRequest.project;
    if (!mRequest.resumeRunId) {
        NewRun run;
        run.projectPath = project.filePath;
        run.projectName = project.name;
        run.projectJson = toJson(project).dump();
        run.method = project.training.method.name;
        run.seed = project.training.seed;
        run.device = mDevice.str();
        run.codeVersion = codeVersion();
        mRunId = mStore->createRun(run);
        spdlog::info("run {}: started {} on {} with method {}, seed {}, {} parameters", mRunId, project.name,
                     mDevice.str(), run.method, run.seed, mModel->parameterCount());
        mStore->addEvent(mRunId, "info", "started on " + mDevice.str());
        return;
    }

    mRunId = *mRequest.resumeRunId;
    const auto checkpoint = mStore->latestCheckpoint(mRunId);
    if (!checkpoint) {
        throw InputError("run " + std::to_string(mRunId) + " has no checkpoint to resume from; start a new run");
    }
    const CheckpointState state = loadCheckpoint(checkpoint->path, mModel, *mOptimizer, *mMethod);
    mStore->reopenRun(mRunId);
    mStore->deleteRoutingStatsAfter(mRunId, state.step);
    mStartEpoch = state.epoch + 1;
    mStep = state.step;
    mEpochsCompleted = state.epoch;
    for (const auto& row : mStore->metrics(mRunId)) {
        mRunStartSeconds = std::max(mRunStartSeconds, row.wallTime);
    }
    if (const auto best = mStore->bestCheckpoint(mRunId)) {
        mBestScore = best->score;
        mBestEpoch = best->epoch;
        MetricFilter testRows;
        testRows.split = "test";
        for (const auto& row : mStore->metrics(mRunId, testRows)) {
            if (row.epoch == mBestEpoch && !row.task.empty()) {
                mBestTestMetrics[row.task][row.name] = row.value;
            }
        }
    }
    spdlog::info("run {}: resumed from epoch {} (checkpoint {})", mRunId, state.epoch, checkpoint->path);
    mStore->addEvent(mRunId, "info", "resumed from epoch " + std::to_string(state.epoch));
}

void Trainer::pushEvent(EngineEvent event) {
    if (mEvents != nullptr) {
        event.runId = mRunId;
        event.epochs = mRequest.project.training.epochs;
        mEvents->push(std::move(event));
    }
}

void Trainer::applySchedule(int epoch) {
    const auto& schedule = mRequest.project.training.schedule;
    const double base = mRequest.project.training.optimizer.learningRate;
    double rate = base;
    if (schedule.type == "step") {
        rate = base * std::pow(schedule.gamma, (epoch - 1) / schedule.stepSize);
    } else if (schedule.type == "cosine") {
        const double progress = static_cast<double>(epoch - 1) / mRequest.project.training.epochs;
        rate = 0.5 * base * (1.0 + std::cos(M_PI * progress));
    }
    for (auto& group : mOptimizer->param_groups()) {
        group.options().set_lr(rate);
    }
}

Trainer::Batch Trainer::nextBatch(const torch::Tensor& order, std::int64_t batch) {
    const auto& tasks = mRequest.project.tasks;
    Batch result;
    result.targets.resize(tasks.size());
    result.rows.resize(tasks.size());

    if (mSampler) {
        // A dataset per task: stack each drawn task's samples, in task order.
        std::vector<torch::Tensor> inputs;
        std::int64_t row = 0;
        const std::vector<torch::Tensor> indices = mSampler->next();
        for (size_t t = 0; t < tasks.size(); ++t) {
            if (!indices[t].defined()) {
                result.rows[t] = {row, row};
                continue;
            }
            const Split& train = mData.taskDataset(t).train;
            inputs.push_back(train.inputs.index_select(0, indices[t]));
            result.targets[t] = train.targets.at(tasks[t].target).index_select(0, indices[t]).to(mDevice, true);
            result.rows[t] = {row, row + indices[t].size(0)};
            row += indices[t].size(0);
        }
        result.inputs = (inputs.size() == 1 ? inputs.front() : torch::cat(inputs)).to(mDevice, true);
        result.samples = row;
        result.globalSamples = row;
        mShardWeight = 1.0;
        return result;
    }

    // With several ranks, batch_size is per rank and every rank reads its own slice of each
    // global batch; one rank's slices equal the plain batches.
    const Split& train = mData.datasets.front().train;
    const int worldSize = mRequest.distributed ? mRequest.distributed->worldSize() : 1;
    const int rank = mRequest.distributed ? mRequest.distributed->rank() : 0;
    const ShardSlice slice = shardOfBatch(train.size(), mRequest.project.training.batchSize, worldSize, rank, batch);
    const torch::Tensor indices = order.slice(0, slice.begin, slice.end);
    mShardWeight = static_cast<double>(slice.end - slice.begin) / static_cast<double>(slice.globalSize);
    result.inputs = train.inputs.index_select(0, indices).to(mDevice, true);

    for (size_t t = 0; t < tasks.size(); ++t) {
        result.targets[t] = train.targets.at(tasks[t].target).index_select(0, indices).to(mDevice, true);
        result.rows[t] = {0, slice.end - slice.begin};
    }
    result.samples = slice.end - slice.begin;
    result.globalSamples = slice.globalSize;
    return result;
}

std::vector<torch::Tensor> Trainer::batchLosses(const ModelOutput& output, const Batch& batch) const {
    const auto& tasks = mRequest.project.tasks;
    std::vector<torch::Tensor> losses;
    for (size_t t = 0; t < tasks.size(); ++t) {
        if (batch.hasTask(t)) {
            losses.push_back(taskLoss(tasks[t], batch.taskRows(output.taskOutputs[t], t), batch.targets[t]));
        } else {
            losses.push_back(torch::zeros({}, output.taskOutputs[t].options()));
        }
    }
    return losses;
}

void Trainer::trainEpoch(int epoch) {
    const Project& project = mRequest.project;
    const auto& tasks = project.tasks;
    const std::int64_t batchSize = project.training.batchSize;
    const int worldSize = mRequest.distributed ? mRequest.distributed->worldSize() : 1;
    torch::Tensor order;
    std::int64_t batches = 0;
    if (mSampler) {
        mSampler->startEpoch(epoch);
        batches = mSampler->stepsPerEpoch();
    } else {
        // A fresh, seeded shuffle per epoch, so a resumed run gets the same order.
        const std::int64_t count = mData.datasets.front().train.size();
        torch::Generator shuffle =
            seededGenerator(project.training.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
        order = torch::randperm(count, shuffle, torch::kLong);
        batches = globalBatchCount(count, batchSize, worldSize);
    }
    std::int64_t localSamples = 0;
    std::int64_t globalSamples = 0;
    const double secondsBefore = mTrainSeconds;

    std::vector<MetricAccumulator> accumulators;
    for (const auto& task : tasks) {
        accumulators.emplace_back(task);
    }

    mModel->train();
    auto lastProgress = std::chrono::steady_clock::now();
    const auto epochStart = lastProgress;
    for (std::int64_t batch = 0; batch < batches; ++batch) {
        if (mControl != nullptr && mControl->pauseRequested()) {
            spdlog::info("run {}: paused at step {}", mRunId, mStep);
            pushEvent({EngineEvent::Type::Paused});
            const auto pausedAt = std::chrono::steady_clock::now();
            mControl->waitWhilePaused();
            mRunStartSeconds -= std::chrono::duration<double>(std::chrono::steady_clock::now() - pausedAt).count();
            spdlog::info("run {}: resumed at step {}", mRunId, mStep);
            pushEvent({EngineEvent::Type::Resumed});
        }
        if (mControl != nullptr && mControl->cancelRequested()) {
            return;
        }

        const Batch batchData = nextBatch(order, batch);
        localSamples += batchData.samples;
        globalSamples += batchData.globalSamples;
        const torch::Tensor& inputs = batchData.inputs;
        // In representation mode the heads read a detached copy of the shared representation,
        // so that task gradients can be taken with respect to it.
        torch::Tensor representation;
        torch::Tensor detachedRepresentation;
        ModelOutput output;
        if (mUseRepresentation) {
            representation = mModel->forwardRepresentation(inputs);
            detachedRepresentation = representation.detach().requires_grad_(true);
            output = mModel->forwardHeads(detachedRepresentation);
        } else {
            output = mModel->forward(inputs);
        }

        const std::vector<torch::Tensor> losses = batchLosses(output, batchData);
        const torch::Tensor taskLosses = torch::stack(losses);
        mGlobalLosses = taskLosses.detach().clone();
        averageAcrossRanks({mGlobalLosses});
        ++mStep;

        // Routing statistics and auxiliary losses belong to this forward pass; sharpness-aware
        // passes below would overwrite them. The auxiliary loss joins every method's objective
        // as a gradient added to the method's update.
        const torch::Tensor auxiliaryLoss = mModel->auxiliaryLoss();
        const std::vector<torch::Tensor> routedParameters =
            auxiliaryLoss.defined() ? mModel->sharedParameters() : std::vector<torch::Tensor>{};
        std::vector<torch::Tensor> auxiliaryGradients;
        if (auxiliaryLoss.defined()) {
            auxiliaryGradients = torch::autograd::grad({auxiliaryLoss}, routedParameters, {}, /*retain_graph=*/true,
                                                       /*create_graph=*/false, /*allow_unused=*/true);
        }
        if (mModel->hasRouting() && mStep % project.training.logEverySteps == 0) {
            for (auto& record : routingRecords(mModel->routing(), mRunId, mStep, epoch)) {
                mPendingRoutingStats.push_back(std::move(record));
            }
        }

        // Stop at the first non-finite loss, naming the task, before it reaches the weights.
        // The check reads the losses averaged over ranks, so that every rank stops at the same step.
        const torch::Tensor finite = torch::isfinite(mGlobalLosses).to(torch::kCPU);
        if (!finite.all().item<bool>()) {
            for (size_t t = 0; t < tasks.size(); ++t) {
                if (!finite[static_cast<std::int64_t>(t)].item<bool>()) {
                    throw std::runtime_error("loss of task '" + tasks[t].name + "' is " +
                                             std::to_string(taskLosses[t].item<double>()) + " at step " +
                                             std::to_string(mStep) + " (epoch " + std::to_string(epoch) +
                                             "); lower the learning rate or check the targets");
                }
            }
        }

        StepContext context{mStep, epoch, static_cast<int>(tasks.size()), &mMethodGenerator};
        const int conflictEvery = project.training.conflictEverySteps;
        // Single-task batches have one task loss per step, so there is no conflict to measure.
        const bool diagnose = conflictEvery > 0 && mStep % conflictEvery == 0 && tasks.size() >= 2 &&
                              !project.training.singleTaskBatches;
        mOptimizer->zero_grad();
        const bool sharpnessAware = project.training.samRho > 0.0;
        torch::Tensor taskGradients;
        if (mMethod->info().kind == MethodKind::Gradient) {
            taskGradients = backwardWithTaskGradients(taskLosses, representation, detachedRepresentation, context,
                                                      sharpnessAware ? &batchData : nullptr);
        } else {
            if (diagnose || sharpnessAware) {
                taskGradients = taskGradientMatrix(taskLosses, mModel->sharedParameters());
                averageAcrossRanks({taskGradients});
            }
            // With several ranks the method weighs the losses averaged over ranks, while the
            // gradients flow through this rank's own losses and are averaged below.
            const torch::Tensor methodLosses =
                mRequest.distributed ? taskLosses + (mGlobalLosses - taskLosses.detach()) : taskLosses;
            mMethod->combineLosses(methodLosses, context).backward();
            if (sharpnessAware) {
                // The method's weights combine the task gradients taken at the perturbed points.
                const torch::Tensor flat = sharpnessAwareGradients(batchData, taskGradients);
                averageAcrossRanks({flat});
                const torch::Tensor weights = mMethod->lastWeights().to(flat.device(), flat.scalar_type());
                assignSharedGradients(torch::matmul(weights, flat));
            }
        }
        accumulateGradients(routedParameters, auxiliaryGradients);
        if (mRequest.distributed) {
            // Every rank then applies the same update. A parameter without a gradient on this
            // rank gets zeros, so that all ranks reduce buffers of the same layout.
            std::vector<torch::Tensor> gradients;
            for (const auto& group : mOptimizer->param_groups()) {
                for (const auto& parameter : group.params()) {
                    if (!parameter.grad().defined()) {
                        parameter.mutable_grad() = torch::zeros_like(parameter);
                    }
                    gradients.push_back(parameter.grad());
                }
            }
            averageAcrossRanks(gradients);
        }
        mOptimizer->step();
        if (diagnose) {
            GradientStatsRecord stats = gradientStats(taskGradients, mTaskNames, mMethod->lastWeights());
            stats.runId = mRunId;
            stats.step = mStep;
            stats.epoch = epoch;
            stats.wallTime = mRunStartSeconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - mClockStart).count();
            mPendingGradientStats.push_back(std::move(stats));
        }

        for (size_t t = 0; t < tasks.size(); ++t) {
            if (batchData.hasTask(t)) {
                accumulators[t].add(batchData.taskRows(output.taskOutputs[t], t), batchData.targets[t], losses[t]);
            }
        }
        mTrainSamples += batchData.globalSamples;

        const auto now = std::chrono::steady_clock::now();
        const double wallTime = mRunStartSeconds + std::chrono::duration<double>(now - mClockStart).count();
        const bool logStep = mStep % project.training.logEverySteps == 0;
        if (logStep && auxiliaryLoss.defined()) {
            mPendingRows.push_back(
                {mRunId, mStep, epoch, "train", "", "auxiliary_loss", auxiliaryLoss.item<double>(), wallTime});
        }
        if (logStep) {
            const torch::Tensor lossValues = taskLosses.detach().to(torch::kCPU, torch::kDouble);
            const torch::Tensor weights = mMethod->lastWeights();
            for (size_t t = 0; t < tasks.size(); ++t) {
                const auto index = static_cast<std::int64_t>(t);
                if (!batchData.hasTask(t)) {
                    continue;
                }
                mPendingRows.push_back({mRunId, mStep, epoch, "train", tasks[t].name, "step_loss",
                                        lossValues[index].item<double>(), wallTime});
                if (weights.defined() && weights.numel() == static_cast<std::int64_t>(tasks.size())) {
                    mPendingRows.push_back({mRunId, mStep, epoch, "train", tasks[t].name, "weight",
                                            weights[index].item<double>(), wallTime});
                }
            }
        }
        if (std::chrono::duration<double, std::milli>(now - lastProgress).count() >= mRequest.progressIntervalMs ||
            batch + 1 == batches) {
            lastProgress = now;
            EngineEvent event{EngineEvent::Type::Progress};
            event.epoch = epoch;
            event.step = mStep;
            event.batchInEpoch = batch + 1;
            event.batchesPerEpoch = batches;
            event.elapsedSeconds = wallTime;
            const torch::Tensor lossValues = taskLosses.detach().to(torch::kCPU, torch::kDouble);
            for (size_t t = 0; t < tasks.size(); ++t) {
                if (batchData.hasTask(t)) {
                    event.taskLosses[tasks[t].name] = lossValues[static_cast<std::int64_t>(t)].item<double>();
                }
            }
            pushEvent(std::move(event));
        }
        spdlog::debug("run {}: step {} done", mRunId, mStep);
        if (mRequest.maxSteps > 0 && mStep >= mRequest.maxSteps) {
            mStopAfterEpoch = true;
            break;
        }
    }
    mTrainSeconds = secondsBefore + std::chrono::duration<double>(std::chrono::steady_clock::now() - epochStart).count();

    mEpochTrainMetrics.clear();
    std::vector<double> meanLosses;
    for (size_t t = 0; t < tasks.size(); ++t) {
        mEpochTrainMetrics[tasks[t].name] = accumulators[t].values();
    }
    if (mRequest.distributed && globalSamples > 0) {
        // Sample-weighted means over ranks: exact for loss, accuracy and MAE, close for RMSE.
        std::vector<double> values;
        for (const auto& [task, metrics] : mEpochTrainMetrics) {
            for (const auto& [name, value] : metrics) {
                values.push_back(value);
            }
        }
        const torch::Tensor reduced = torch::tensor(values, torch::kDouble);
        mShardWeight = static_cast<double>(localSamples) / static_cast<double>(globalSamples);
        averageAcrossRanks({reduced});
        std::int64_t index = 0;
        for (auto& [task, metrics] : mEpochTrainMetrics) {
            for (auto& [name, value] : metrics) {
                value = reduced[index++].item<double>();
            }
        }
    }
    for (size_t t = 0; t < tasks.size(); ++t) {
        // A task that no single-task batch drew this epoch has no training metrics.
        const auto& metrics = mEpochTrainMetrics[tasks[t].name];
        meanLosses.push_back(metrics.count("loss") > 0 ? metrics.at("loss") : 0.0);
    }
    mMethod->endEpoch(meanLosses);
}

torch::Tensor Trainer::taskGradientMatrix(const torch::Tensor& taskLosses, const std::vector<torch::Tensor>& inputs) {
    std::vector<torch::Tensor> rows;
    for (std::int64_t t = 0; t < taskLosses.size(0); ++t) {
        const auto gradients = torch::autograd::grad({taskLosses[t]}, inputs, {}, /*retain_graph=*/true,
                                                     /*create_graph=*/false, /*allow_unused=*/true);
        std::vector<torch::Tensor> flat;
        for (size_t p = 0; p < inputs.size(); ++p) {
            flat.push_back(gradients[p].defined() ? gradients[p].reshape(-1)
                                                  : torch::zeros({inputs[p].numel()}, inputs[p].options()));
        }
        rows.push_back(torch::cat(flat));
    }
    return torch::stack(rows);
}

torch::Tensor Trainer::backwardWithTaskGradients(const torch::Tensor& taskLosses, const torch::Tensor& representation,
                                                 const torch::Tensor& detachedRepresentation, const StepContext& context,
                                                 const Batch* sharpnessBatch) {
    const std::vector<torch::Tensor> shared = mModel->sharedParameters();
    // IMTL's learnable loss scales apply here; for every other method these are the raw losses.
    const torch::Tensor scaledLosses = mMethod->scaleLosses(taskLosses);
    torch::Tensor gradients = mUseRepresentation ? taskGradientMatrix(scaledLosses, {detachedRepresentation})
                                                 : taskGradientMatrix(scaledLosses, shared);
    // With several ranks the method combines the task gradients averaged over ranks, so the
    // shared direction is the same on every rank.
    averageAcrossRanks({gradients});
    torch::Tensor aggregated = gradients;
    if (sharpnessBatch != nullptr) {
        aggregated = sharpnessAwareGradients(*sharpnessBatch, gradients);
        averageAcrossRanks({aggregated});
    }
    const Aggregation aggregation = mMethod->aggregate(aggregated, mGlobalLosses, context);

    // Heads train on their own task's loss, and the method's own parameters on the sum of the
    // losses; the shared part follows the method's direction.
    std::vector<torch::Tensor> ownParameters = mMethod->parameters();
    for (size_t t = 0; t < mRequest.project.tasks.size(); ++t) {
        for (const auto& parameter : mModel->headParameters(t)) {
            ownParameters.push_back(parameter);
        }
    }
    torch::autograd::backward({scaledLosses.sum()}, {}, /*retain_graph=*/false, /*create_graph=*/false, ownParameters);
    if (mUseRepresentation) {
        representation.backward(aggregation.direction.view_as(representation));
    } else {
        assignSharedGradients(aggregation.direction);
    }
    return gradients;
}

void Trainer::assignSharedGradients(const torch::Tensor& direction) {
    std::int64_t offset = 0;
    for (const auto& parameter : mModel->sharedParameters()) {
        const std::int64_t count = parameter.numel();
        parameter.mutable_grad() = direction.slice(0, offset, offset + count).view_as(parameter).clone();
        offset += count;
    }
}

torch::Tensor Trainer::sharpnessAwareGradients(const Batch& batch, const torch::Tensor& gradients) {
    const auto& tasks = mRequest.project.tasks;
    const std::vector<torch::Tensor> shared = mModel->sharedParameters();
    const double rho = mRequest.project.training.samRho;
    const auto moveShared = [&shared](const torch::Tensor& step, double sign) {
        torch::NoGradGuard noGrad;
        std::int64_t offset = 0;
        for (const auto& parameter : shared) {
            const std::int64_t count = parameter.numel();
            parameter.add_(step.slice(0, offset, offset + count).view_as(parameter), sign);
            offset += count;
        }
    };

    std::vector<torch::Tensor> rows;
    for (size_t t = 0; t < tasks.size(); ++t) {
        const torch::Tensor gradient = gradients[static_cast<std::int64_t>(t)];
        const double norm = gradient.norm().item<double>();
        if (norm == 0.0) {
            rows.push_back(gradient);
            continue;
        }
        // Ascend to the sharpest nearby point for this task, take its gradient there, come back.
        const torch::Tensor perturbation = gradient * (rho / norm);
        moveShared(perturbation, 1.0);
        const std::vector<torch::Tensor> losses = batchLosses(mModel->forward(batch.inputs), batch);
        const torch::Tensor loss = mMethod->scaleLosses(torch::stack(losses))[static_cast<std::int64_t>(t)];
        rows.push_back(taskGradientMatrix(loss.unsqueeze(0), shared)[0]);
        moveShared(perturbation, -1.0);
    }
    return torch::stack(rows);
}

std::map<std::string, std::map<std::string, double>> Trainer::evaluate(Split Dataset::*split) {
    const auto& tasks = mRequest.project.tasks;
    std::map<std::string, std::map<std::string, double>> results;
    torch::NoGradGuard noGrad;
    mModel->eval();
    for (size_t d = 0; d < mData.datasets.size(); ++d) {
        const Split& data = mData.datasets[d].*split;
        if (data.size() == 0) {
            continue;
        }
        const std::vector<size_t> readers = mData.tasksOfDataset(d);
        std::vector<MetricAccumulator> accumulators;
        for (const size_t t : readers) {
            accumulators.emplace_back(tasks[t]);
        }
        for (std::int64_t begin = 0; begin < data.size(); begin += kEvaluationBatchSize) {
            const std::int64_t end = std::min(begin + kEvaluationBatchSize, data.size());
            const ModelOutput output = mModel->forward(data.inputs.slice(0, begin, end).to(mDevice));
            for (size_t r = 0; r < readers.size(); ++r) {
                const TaskSpec& task = tasks[readers[r]];
                const torch::Tensor& prediction = output.taskOutputs[readers[r]];
                const torch::Tensor target = data.targets.at(task.target).slice(0, begin, end).to(mDevice);
                accumulators[r].add(prediction, target, taskLoss(task, prediction, target));
            }
        }
        for (size_t r = 0; r < readers.size(); ++r) {
            results[tasks[readers[r]].name] = accumulators[r].values();
        }
    }
    mModel->train();
    return results;
}

void Trainer::recordEpoch(int epoch, double epochSeconds) {
    const Project& project = mRequest.project;
    const auto validation = evaluate(&Dataset::validation);
    const auto test = evaluate(&Dataset::test);
    const double wallTime =
        mRunStartSeconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - mClockStart).count();

    std::vector<MetricRow> rows = std::move(mPendingRows);
    mPendingRows.clear();
    const auto addRows = [&](const std::string& split, const std::map<std::string, std::map<std::string, double>>& byTask) {
        for (const auto& [task, metrics] : byTask) {
            for (const auto& [name, value] : metrics) {
                rows.push_back({mRunId, mStep, epoch, split, task, name, value, wallTime});
            }
        }
    };
    addRows("train", mEpochTrainMetrics);
    addRows("validation", validation);
    addRows("test", test);
    const double samplesPerSecond = mTrainSeconds > 0.0 ? mTrainSamples / mTrainSeconds : 0.0;
    rows.push_back({mRunId, mStep, epoch, "train", "", "epoch_seconds", epochSeconds, wallTime});
    rows.push_back({mRunId, mStep, epoch, "train", "", "samples_per_second", samplesPerSecond, wallTime});

    // Rank each task by its validation metrics when its dataset has a validation split, else by
    // its training metrics. A task without either (no batch drew it this epoch) does not count.
    double score = 0.0;
    std::string summary;
    for (const auto& task : project.tasks) {
        const auto& ranking = validation.count(task.name) > 0 ? validation : mEpochTrainMetrics;
        const auto found = ranking.find(task.name);
        if (found == ranking.end() || found->second.empty()) {
            continue;
        }
        const auto& metrics = found->second;
        score += selectionScore(task, metrics) / project.tasks.size();
        const std::string metric = primaryMetric(task);
        std::ostringstream part;
        part.precision(3);
        part << " " << task.name << "=" << metrics.at(metric);
        summary += part.str();
    }

    mLastTestMetrics = nlohmann::json::object();
    for (const auto& [task, metrics] : test) {
        mLastTestMetrics[task] = metrics;
    }
    const bool isBest = score > mBestScore;
    if (isBest) {
        mBestScore = score;
        mBestEpoch = epoch;
        mBestTestMetrics = mLastTestMetrics;
    }

    char fileName[32];
    std::snprintf(fileName, sizeof fileName, "epoch-%04d.pt", epoch);
    const std::string path =
        (std::filesystem::path(checkpointFolder(mStore->path(), mRunId)) / fileName).string();
    saveCheckpoint(path, mModel, *mOptimizer, *mMethod, {epoch, mStep});
    CheckpointRecord checkpoint;
    checkpoint.runId = mRunId;
    checkpoint.epoch = epoch;
    checkpoint.step = mStep;
    checkpoint.path = path;
    checkpoint.score = score;
    checkpoint.isBest = isBest;
    // Routing rows past the checkpoint that a crash may leave behind are deleted on resume.
    mStore->appendRoutingStats(mPendingRoutingStats);
    mPendingRoutingStats.clear();
    // One transaction: a resumed run restarts after the last epoch whose rows all exist.
    mStore->recordEpoch(rows, mPendingGradientStats, checkpoint);
    mPendingGradientStats.clear();
    mEpochsCompleted = epoch;

    spdlog::info("run {}: epoch {}/{} done in {}, {} {}{}", mRunId, epoch, project.training.epochs,
                 formatSeconds(epochSeconds), validation.empty() ? "train" : "val",
                 primaryMetric(project.tasks.front()), summary);

    EngineEvent event{EngineEvent::Type::EpochEnded};
    event.epoch = epoch;
    event.step = mStep;
    event.elapsedSeconds = wallTime;
    event.metrics = std::move(rows);
    pushEvent(std::move(event));
}

nlohmann::json Trainer::buildSummary() const {
    nlohmann::json summary;
    summary["tasks"] = mBestTestMetrics;
    summary["final_tasks"] = mLastTestMetrics;
    summary["best_epoch"] = mBestEpoch;
    summary["epochs_completed"] = mEpochsCompleted;
    summary["train_seconds"] = mTrainSeconds;
    summary["samples_per_second"] = mTrainSeconds > 0.0 ? mTrainSamples / mTrainSeconds : 0.0;
    summary["parameters"] = mModel ? mModel->parameterCount() : 0;
    if (!mRequest.initCheckpoint.empty()) {
        summary["init_checkpoint"] = mRequest.initCheckpoint;
    }
    if (!mRequest.baselineTask.empty()) {
        summary["baseline_task"] = mRequest.baselineTask;
    } else if (mStore) {
        const auto delta = deltaM(mRequest.project, mBestTestMetrics, baselineMetrics(*mStore, mRequest.project.filePath));
        if (delta) {
            summary["delta_m"] = *delta;
        }
    }
    return summary;
}

TrainResult Trainer::run() {
    TrainResult result;
    mClockStart = std::chrono::steady_clock::now();
    try {
        if (isLeader()) {
            createOrReopenRun();
        } else {
            joinRun();
        }
    } catch (const InputError& error) {
        result.status = "rejected";
        result.error = error.what();
        result.inputError = true;
        if (mRequest.distributed) {
            mRequest.distributed->reportFailure(result.error);
        }
        return result;
    } catch (const std::exception& error) {
        spdlog::error("could not start the run: {}", error.what());
        result.status = "rejected";
        result.error = error.what();
        if (mRequest.distributed) {
            mRequest.distributed->reportFailure(result.error);
        }
        return result;
    }
    result.runId = mRunId;
    EngineEvent started{EngineEvent::Type::RunStarted};
    started.epoch = mStartEpoch;
    pushEvent(std::move(started));

    std::string status = run_status::kCompleted;
    std::string error;
    try {
        if (isLeader()) {
            joinRun();
        }
        broadcastState();
        for (int epoch = mStartEpoch; epoch <= mRequest.project.training.epochs; ++epoch) {
            applySchedule(epoch);
            const auto epochStart = std::chrono::steady_clock::now();
            trainEpoch(epoch);
            if (mControl != nullptr && mControl->cancelRequested()) {
                status = run_status::kCancelled;
                break;
            }
            if (isLeader()) {
                recordEpoch(epoch, std::chrono::duration<double>(std::chrono::steady_clock::now() - epochStart).count());
            } else {
                mPendingRows.clear();
                mPendingGradientStats.clear();
                mPendingRoutingStats.clear();
                mEpochsCompleted = epoch;
            }
            if (mStopAfterEpoch) {
                writeRankParameters();
                break;
            }
        }
    } catch (const std::exception& caught) {
        status = run_status::kFailed;
        error = caught.what();
        if (mRequest.distributed) {
            // A collective fails on every rank when one rank dies; name the rank that failed
            // first, as it or `mtlw launch` reported it.
            mRequest.distributed->reportFailure(error);
            const auto other = mRequest.distributed->collectiveFailed()
                                   ? mRequest.distributed->otherRankFailure(std::chrono::seconds(3))
                                   : std::nullopt;
            if (other) {
                error = *other + " (rank " + std::to_string(mRequest.distributed->rank()) + ": " + error + ")";
            }
        }
        spdlog::error("run {}: failed: {}", mRunId, error);
    }
    if (!isLeader()) {
        result.status = status;
        result.error = error;
        result.summary = buildSummary();
        spdlog::info("run {}: rank {} {}", mRunId, mRequest.distributed->rank(), status);
        EngineEvent finished{EngineEvent::Type::Finished};
        finished.status = result.status;
        finished.message = result.error;
        finished.summary = result.summary;
        pushEvent(std::move(finished));
        return result;
    }

    result.status = status;
    result.error = error;
    result.summary = buildSummary();
    const double seconds =
        mRunStartSeconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - mClockStart).count();
    result.summary["seconds"] = seconds;
    try {
        if (!mPendingRows.empty()) {
            mStore->appendMetrics(mPendingRows);
            mPendingRows.clear();
        }
        mStore->appendGradientStats(mPendingGradientStats);
        mStore->appendRoutingStats(mPendingRoutingStats);
        mPendingRoutingStats.clear();
        mPendingGradientStats.clear();
        if (!error.empty()) {
            mStore->addEvent(mRunId, "error", error);
        }
        mStore->finishRun(mRunId, status, result.summary, error);
    } catch (const std::exception& storeError) {
        spdlog::error("run {}: could not record the end of the run: {}", mRunId, storeError.what());
        if (result.error.empty()) {
            result.status = run_status::kFailed;
            result.error = storeError.what();
        }
    }
    spdlog::info("run {}: {} after {} ({} epochs)", mRunId, status, formatSeconds(seconds), mEpochsCompleted);

    EngineEvent finished{EngineEvent::Type::Finished};
    finished.status = result.status;
    finished.message = result.error;
    finished.summary = result.summary;
    finished.elapsedSeconds = seconds;
    pushEvent(std::move(finished));
    return result;
}

bool Trainer::isLeader() const {
    return !mRequest.distributed || mRequest.distributed->isLeader();
}

void Trainer::averageAcrossRanks(const std::vector<torch::Tensor>& tensors) {
    if (mRequest.distributed) {
        mRequest.distributed->allReduceWeighted(tensors, mShardWeight);
    }
}

void Trainer::broadcastState() {
    if (!mRequest.distributed) {
        return;
    }
    std::vector<torch::Tensor> state = mModel->parameters();
    for (const auto& buffer : mModel->buffers()) {
        state.push_back(buffer);
    }
    for (const auto& parameter : mMethod->parameters()) {
        state.push_back(parameter);
    }
    mRequest.distributed->broadcastFromLeader(state);
}

void Trainer::joinRun() {
    DistributedContext* distributed = mRequest.distributed.get();
    if (distributed == nullptr) {
        return;
    }
    if (distributed->isLeader()) {
        // A resumed run: every rank loads the same checkpoint bytes.
        if (mRequest.resumeRunId) {
            const auto checkpoint = mStore->latestCheckpoint(mRunId);
            std::ifstream file(checkpoint->path, std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
            distributed->set(store_keys::kCheckpoint, bytes);
        }
        distributed->set(store_keys::kStorePath, mStore->path());
        distributed->set(store_keys::kRunId, std::to_string(mRunId));
        return;
    }

    const auto runId = distributed->waitForKey(store_keys::kRunId, 0);
    if (!runId) {
        throw std::runtime_error("rank 0 could not start the run: " +
                                 distributed->otherRankFailure(std::chrono::seconds(0)).value_or("no reason given"));
    }
    mRunId = std::stoll(*runId);
    // Other ranks log to their own file beside rank 0's checkpoints.
    const std::filesystem::path folder = checkpointFolder(mRequest.storePath, mRunId);
    std::error_code ignored;
    std::filesystem::create_directories(folder, ignored);
    const std::string logPath = (folder / ("rank-" + std::to_string(distributed->rank()) + ".log")).string();
    try {
        auto sinks = spdlog::default_logger()->sinks();
        sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(logPath));
        auto logger = std::make_shared<spdlog::logger>("mtlw-rank", sinks.begin(), sinks.end());
        logger->set_level(spdlog::default_logger()->level());
        logger->flush_on(spdlog::level::info);
        spdlog::set_default_logger(logger);
    } catch (const spdlog::spdlog_ex& error) {
        spdlog::warn("rank {}: cannot log to {}: {}", distributed->rank(), logPath, error.what());
    }
    spdlog::info("run {}: rank {} of {} joined", mRunId, distributed->rank(), distributed->worldSize());

    if (mRequest.resumeRunId) {
        const std::string bytes = distributed->get(store_keys::kCheckpoint);
        const std::filesystem::path temporary = std::filesystem::temp_directory_path() /
                                                ("mtlw-resume-" + std::to_string(::getpid()) + ".pt");
        {
            std::ofstream file(temporary, std::ios::binary);
            file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        }
        const CheckpointState state = loadCheckpoint(temporary.string(), mModel, *mOptimizer, *mMethod);
        std::filesystem::remove(temporary, ignored);
        mStartEpoch = state.epoch + 1;
        mStep = state.step;
        mEpochsCompleted = state.epoch;
        spdlog::info("run {}: rank {} resumed from epoch {}", mRunId, distributed->rank(), state.epoch);
    }
}

void Trainer::writeRankParameters() {
    const int rank = mRequest.distributed ? mRequest.distributed->rank() : 0;
    const std::filesystem::path folder = checkpointFolder(mRequest.storePath, mRunId);
    std::filesystem::create_directories(folder);
    std::vector<torch::Tensor> parameters;
    for (const auto& parameter : mModel->parameters()) {
        parameters.push_back(parameter.detach().to(torch::kCPU));
    }
    torch::save(parameters, (folder / ("parameters-rank-" + std::to_string(rank) + ".pt")).string());
}

}  // namespace mtlw
