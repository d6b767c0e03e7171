// Data fixtures shared by the data tests: IDX and gzip bytes, a folder of Fashion-MNIST-shaped
// files, and a project with one dataset.
#pragma once

#include "TestSupport.h"
#include "project/Project.h"

#include <QDir>

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

// An IDX file: magic with element `type` (0x08 is unsigned byte), big-endian dims, then `data`.
inline QByteArray idxBytes(const std::vector<std::uint32_t>& dims, const QByteArray& data, char type = 0x08)
{
    QByteArray bytes;
    bytes.append(char(0)).append(char(0)).append(type).append(char(dims.size()));
    for (const std::uint32_t size : dims) {
        bytes.append(char(size >> 24)).append(char(size >> 16)).append(char(size >> 8)).append(char(size));
    }
    return bytes + data;
}

// `raw` compressed with the gzip wrapper.
inline QByteArray gzipBytes(const QByteArray& raw)
{
    z_stream stream{};
    // Window bits 15 + 16 select the gzip wrapper.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        qFatal("deflateInit2 failed");
    QByteArray out(int(deflateBound(&stream, uLong(raw.size()))), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    stream.avail_in = uInt(raw.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = uInt(out.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END)
        qFatal("deflate failed");
    out.resize(int(stream.total_out));
    deflateEnd(&stream);
    return out;
}

// Fashion-MNIST-shaped files in `folder`: raw images and gzip-compressed labels. Image k is
// filled with the value 10 + 8k and has label k % classes, so a canvas shows which images it
// contains and where.
inline void writeSyntheticFashion(const QString& folder, int trainCount, int testCount, int classes = 10)
{
    QDir().mkpath(folder);
    auto writeSet = [&](const QString& prefix, int count) {
        QByteArray images;
        QByteArray labels;
        for (int k = 0; k < count; ++k) {
            images += QByteArray(28 * 28, char(10 + 8 * k));
            labels += char(k % classes);
        }
        writeFile(folder + "/" + prefix + "-images-idx3-ubyte", idxBytes({std::uint32_t(count), 28, 28}, images));
        writeFile(folder + "/" + prefix + "-labels-idx1-ubyte.gz", gzipBytes(idxBytes({std::uint32_t(count)}, labels)));
    };
    writeSet("train", trainCount);
    writeSet("t10k", testCount);
}

// A task named `name` of `type` that reads `target` of the dataset "data".
inline mtlw::TaskSpec dataTask(const std::string& name, mtlw::TaskType type, const std::string& target)
{
    mtlw::TaskSpec task;
    task.name = name;
    task.type = type;
    task.dataset = "data";
    task.target = target;
    return task;
}

// A project saved as `filePath` (not written) with one dataset "data" of `kind` and the tasks.
inline mtlw::Project oneDatasetProject(const QString& filePath, const std::string& kind, const nlohmann::json& options,
                                       const std::vector<mtlw::TaskSpec>& tasks)
{
    mtlw::Project project;
    project.name = "test";
    project.filePath = filePath.toStdString();
    mtlw::DatasetSpec spec;
    spec.name = "data";
    spec.kind = kind;
    spec.options = options;
    project.datasets.push_back(spec);
    project.tasks = tasks;
    return project;
}
