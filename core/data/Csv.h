// Reader for comma-separated values files with a header row (RFC 4180 with CRLF or LF).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mtlw::data {

struct CsvTable {
    /// Path or name used in messages.
    std::string source;
    /// Column names from the header row.
    std::vector<std::string> header;
    /// Data rows; each has header.size() fields.
    std::vector<std::vector<std::string>> rows;
    /// 1-based line on which each row starts; the header is line 1 unless a quoted field spans lines.
    std::vector<std::int64_t> lineNumbers;

    /// Index of the named column, or -1.
    int columnIndex(const std::string& name) const;
};

/// Parses CSV text. Fields are separated by commas and may be double-quoted; a quoted field
/// may contain commas, line breaks and "" for one double quote. A UTF-8 byte order mark and
/// empty lines at the end are ignored. Throws InputError naming `source` and the line on a
/// ragged row, a malformed quote, a duplicate column name or a missing header.
CsvTable parseCsv(std::string_view text, const std::string& source);

/// Reads and parses a CSV file. Throws InputError when it is missing or unreadable.
CsvTable readCsv(const std::string& path);

}  // namespace mtlw::data
