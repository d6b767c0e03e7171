// mtlw launch --nproc N PROJECT [train options]: starts N `mtlw train` workers on 127.0.0.1,
// hosts their rendezvous store, and reports a worker that dies.
#include "Commands.h"
#include "DistributedFlags.h"

#include "distributed/RendezvousHost.h"
#include "engine/Device.h"
#include "store/RunStore.h"
#include "util/Errors.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <algorithm>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mtlw::cli {

namespace {

volatile std::sig_atomic_t gStopSignal = 0;

void onStopSignal(int signal) {
    gStopSignal = signal;
}

struct LaunchOptions {
    int processes = 0;
    int masterPort = 0;
    std::string logDir;
    int graceSeconds = 30;
};

struct Worker {
    int rank = 0;
    pid_t pid = 0;
    bool running = true;
    int status = 0;
};

std::string describeExit(int status) {
    if (WIFSIGNALED(status)) {
        const int signal = WTERMSIG(status);
        return "exited with signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    }
    return "exited with status " + std::to_string(WEXITSTATUS(status));
}

bool failedExit(int status) {
    return WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
}

// The environment of worker `rank`: this process's, with the torchrun-style variables set.
std::vector<std::string> workerEnvironment(int rank, int processes, int port) {
    const std::map<std::string, std::string> variables{
        {"MASTER_ADDR", "127.0.0.1"},           {"MASTER_PORT", std::to_string(port)},
        {"RANK", std::to_string(rank)},          {"LOCAL_RANK", std::to_string(rank)},
        {"WORLD_SIZE", std::to_string(processes)}, {"LOCAL_WORLD_SIZE", std::to_string(processes)},
        {"TORCHELASTIC_USE_AGENT_STORE", "True"}};
    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text = *entry;
        if (variables.count(text.substr(0, text.find('='))) == 0) {
            environment.push_back(text);
        }
    }
    for (const auto& [name, value] : variables) {
        environment.push_back(name + "=" + value);
    }
    return environment;
}

std::vector<char*> pointersTo(const std::vector<std::string>& texts) {
    std::vector<char*> pointers;
    for (const auto& text : texts) {
        pointers.push_back(const_cast<char*>(text.c_str()));
    }
    pointers.push_back(nullptr);
    return pointers;
}

// Starts this same program as worker `rank`. Everything the child needs is prepared before
// fork(), since the rendezvous server's threads make anything but system calls unsafe there.
pid_t startWorker(const std::vector<std::string>& arguments, int rank, int processes, int port,
                  const std::string& logDir) {
    const std::vector<std::string> environment = workerEnvironment(rank, processes, port);
    std::vector<char*> argv = pointersTo(arguments);
    std::vector<char*> envp = pointersTo(environment);
    // Rank 0 speaks for the run; the others write to their rank-<r>.log (and to --log-dir).
    const std::string out = logDir.empty() ? "/dev/null" : logDir + "/rank-" + std::to_string(rank) + ".out";
    const bool redirectErrors = !logDir.empty();
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid != 0) {
        return pid;
    }
    if (rank != 0) {
        const int file = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (file >= 0) {
            ::dup2(file, STDOUT_FILENO);
            if (redirectErrors) {
                ::dup2(file, STDERR_FILENO);
            }
            ::close(file);
        }
    }
    ::execve("/proc/self/exe", argv.data(), envp.data());
    const char message[] = "mtlw launch: cannot start a worker\n";
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(127);
}

// When rank 0 itself dies it cannot close its run; the launcher marks it failed.
void closeOrphanedRun(RendezvousHost& host, const std::string& reason) {
    const auto runId = host.value(store_keys::kRunId);
    const auto storePath = host.value(store_keys::kStorePath);
    if (!runId || !storePath) {
        return;
    }
    try {
        RunStore store(*storePath);
        const auto run = store.run(std::stoll(*runId));
        if (run && (run->status == run_status::kRunning || run->status == run_status::kInterrupted)) {
            store.addEvent(run->id, "error", reason);
            store.finishRun(run->id, run_status::kFailed, nlohmann::json::object(), reason);
            spdlog::error("run {}: failed: {}", run->id, reason);
        }
    } catch (const std::exception& error) {
        spdlog::error("could not record the failure of run {} in {}: {}", *runId, *storePath, error.what());
    }
}

int launch(const LaunchOptions& options, std::vector<std::string> forwarded) {
    if (forwarded.empty()) {
        throw InputError("mtlw launch needs a project: mtlw launch --nproc N PROJECT [train options], "
                         "or `resume RUN_ID [options]`");
    }
    std::vector<std::string> arguments{"mtlw"};
    if (spdlog::get_level() <= spdlog::level::debug) {
        arguments.push_back("--verbose");
    } else if (spdlog::get_level() >= spdlog::level::warn) {
        arguments.push_back("--quiet");
    }
    if (forwarded.front() != "resume" && forwarded.front() != "train" && forwarded.front() != "allreduce-bench") {
        arguments.push_back("train");
    }
    arguments.insert(arguments.end(), forwarded.begin(), forwarded.end());
    if (!options.logDir.empty()) {
        std::filesystem::create_directories(options.logDir);
    }

    RendezvousHost host(options.masterPort);
    spdlog::info("launching {} workers, rendezvous at 127.0.0.1:{}", options.processes, host.port());
    std::signal(SIGINT, onStopSignal);
    std::signal(SIGTERM, onStopSignal);

    std::vector<Worker> workers;
    for (int rank = 0; rank < options.processes; ++rank) {
        const pid_t pid = startWorker(arguments, rank, options.processes, host.port(), options.logDir);
        if (pid < 0) {
            throw std::runtime_error(std::string("cannot start worker ") + std::to_string(rank) + ": " +
                                     std::strerror(errno));
        }
        workers.push_back({rank, pid});
        spdlog::info("rank {}: pid {}", rank, pid);
    }
    if (!options.logDir.empty()) {
        std::ofstream pids(options.logDir + "/pids");
        for (const auto& worker : workers) {
            pids << worker.rank << " " << worker.pid << "\n";
        }
    }

    // Wait for every worker. Once one fails, or rank 0 ends, the others get the grace period
    // to notice and stop, then SIGTERM, then SIGKILL.
    using Clock = std::chrono::steady_clock;
    std::optional<Clock::time_point> stoppingSince;
    bool terminated = false;
    bool killed = false;
    int forwardedSignal = 0;
    int running = options.processes;
    while (running > 0) {
        for (auto& worker : workers) {
            if (!worker.running) {
                continue;
            }
            int status = 0;
            if (::waitpid(worker.pid, &status, WNOHANG) != worker.pid) {
                continue;
            }
            worker.running = false;
            worker.status = status;
            --running;
            if (failedExit(status)) {
                const std::string reason = describeExit(status);
                spdlog::log(WIFSIGNALED(status) ? spdlog::level::err : spdlog::level::info, "rank {}: {}",
                            worker.rank, reason);
                host.reportFailure(worker.rank, reason);
            }
            if ((failedExit(status) || worker.rank == 0) && !stoppingSince) {
                stoppingSince = Clock::now();
            }
        }
        if (gStopSignal != 0 && forwardedSignal == 0) {
            forwardedSignal = gStopSignal;
            for (const auto& worker : workers) {
                if (worker.running) {
                    ::kill(worker.pid, forwardedSignal);
                }
            }
        }
        if (stoppingSince && running > 0) {
            const auto waited = Clock::now() - *stoppingSince;
            if (!terminated && waited > std::chrono::seconds(options.graceSeconds)) {
                spdlog::warn("stopping the {} remaining workers", running);
                for (const auto& worker : workers) {
                    if (worker.running) {
                        ::kill(worker.pid, SIGTERM);
                    }
                }
                terminated = true;
            } else if (!killed && waited > std::chrono::seconds(options.graceSeconds + 5)) {
                for (const auto& worker : workers) {
                    if (worker.running) {
                        ::kill(worker.pid, SIGKILL);
                    }
                }
                killed = true;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);

    const Worker& leader = workers.front();
    if (WIFSIGNALED(leader.status)) {
        closeOrphanedRun(host, "rank 0 failed: " + describeExit(leader.status));
        return 1;
    }
    if (WEXITSTATUS(leader.status) != 0) {
        return WEXITSTATUS(leader.status);
    }
    for (const auto& worker : workers) {
        if (failedExit(worker.status)) {
            return 1;
        }
    }
    return 0;
}

}  // namespace

void addDistributedFlags(CLI::App* command, DistributedOptions& flags) {
    const std::string group = "Multi-process training (default: the torchrun-style environment)";
    command->add_option("--master-addr", flags.masterAddress, "Host of the rendezvous store (MASTER_ADDR)")
        ->group(group);
    command->add_option("--master-port", flags.masterPort, "Port of the rendezvous store (MASTER_PORT)")
        ->check(CLI::Range(1, 65535))
        ->group(group);
    command->add_option("--rank", flags.rank, "This worker's rank (RANK)")->check(CLI::NonNegativeNumber)->group(group);
    command->add_option("--world-size", flags.worldSize, "Number of workers (WORLD_SIZE)")
        ->check(CLI::PositiveNumber)
        ->group(group);
    command->add_option("--local-rank", flags.localRank, "Rank on this machine, picks cuda:N (LOCAL_RANK)")
        ->check(CLI::NonNegativeNumber)
        ->group(group);
}

std::shared_ptr<DistributedContext> joinProcessGroup(const DistributedOptions& flags, const std::string& device) {
    const DistributedOptions resolved = resolveDistributedOptions(flags);
    if (resolved.worldSize == 1) {
        return nullptr;
    }
    return std::make_shared<DistributedContext>(resolved, resolveDevice(device));
}

// Hidden: times the gradient all-reduce of one training step for a range of gradient sizes.
// Run under a launcher: mtlw launch --nproc N allreduce-bench. Rank 0 prints one JSON line per size.
void addAllReduceBenchCommand(CLI::App& app, int& exitCode) {
    auto sizes = std::make_shared<std::vector<std::int64_t>>(std::vector<std::int64_t>{10000, 100000, 1000000, 10000000});
    auto repeats = std::make_shared<int>(20);
    CLI::App* command = app.add_subcommand("allreduce-bench", "")->group("");
    command->add_option("--sizes", *sizes, "Gradient sizes in floats")->delimiter(',');
    command->add_option("--repeats", *repeats, "Timed all-reduces per size")->check(CLI::PositiveNumber);
    command->callback([sizes, repeats, &exitCode] {
        const auto context = joinProcessGroup(DistributedOptions{}, "cpu");
        if (!context) {
            throw InputError("allreduce-bench needs several workers; run it under mtlw launch --nproc N");
        }
        for (const std::int64_t size : *sizes) {
            const torch::Tensor gradient = torch::rand({size});
            const double weight = 1.0 / context->worldSize();
            for (int warmup = 0; warmup < 3; ++warmup) {
                context->allReduceWeighted({gradient}, weight);
            }
            std::vector<double> seconds;
            for (int repeat = 0; repeat < *repeats; ++repeat) {
                context->barrier();
                const auto start = std::chrono::steady_clock::now();
                context->allReduceWeighted({gradient}, weight);
                seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            }
            std::sort(seconds.begin(), seconds.end());
            if (context->isLeader()) {
                std::printf("%s\n", nlohmann::json{{"processes", context->worldSize()},
                                                   {"floats", size},
                                                   {"median_ms", seconds[seconds.size() / 2] * 1000.0},
                                                   {"min_ms", seconds.front() * 1000.0}}
                                        .dump()
                                        .c_str());
                std::fflush(stdout);
            }
        }
        exitCode = 0;
    });
}

void addLaunchCommand(CLI::App& app, int& exitCode) {
    addAllReduceBenchCommand(app, exitCode);
    auto options = std::make_shared<LaunchOptions>();
    CLI::App* command = app.add_subcommand(
        "launch", "Train with N worker processes on this machine: mtlw launch --nproc N PROJECT [train options]");
    command->add_option("--nproc", options->processes, "Number of worker processes")
        ->required()
        ->check(CLI::PositiveNumber);
    command->add_option("--master-port", options->masterPort, "Port of the rendezvous store (default: a free port)")
        ->check(CLI::Range(0, 65535));
    command->add_option("--log-dir", options->logDir,
                        "Folder for the workers' pids and the output of ranks 1 and up (default: discarded)");
    command->add_option("--grace", options->graceSeconds,
                        "Seconds the other workers get to stop after one fails or rank 0 ends, before SIGTERM")
        ->check(CLI::NonNegativeNumber);
    // Everything from PROJECT on goes to `mtlw train` unchanged.
    command->prefix_command();
    command->callback([options, command, &exitCode] {
        exitCode = launch(*options, command->remaining());
    });
}

}  // namespace mtlw::cli
