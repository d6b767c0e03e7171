#include "data/Csv.h"

#include "util/Errors.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace mtlw::data {
namespace {

// Splits CSV text into records of fields, tracking line numbers for messages.
class CsvParser {
public:
    CsvParser(std::string_view text, const std::string& source) : mText(text), mSource(source) {}

    /// Parses the next record into `fields`; returns false at the end of the text.
    bool nextRecord(std::vector<std::string>& fields, std::int64_t& startLine)
    {
        fields.clear();
        if (mPosition >= mText.size())
            return false;
        startLine = mLine;
        std::string field;
        while (true) {
            if (mPosition < mText.size() && mText[mPosition] == '"')
                readQuotedField(field);
            else
                readPlainField(field);
            fields.push_back(std::move(field));
            field.clear();

            if (mPosition >= mText.size())
                return true;
            const char separator = mText[mPosition];
            if (separator == ',') {
                ++mPosition;
                continue;
            }
            // Only a line break can end a field here: the field readers stop at nothing else.
            skipLineBreak();
            return true;
        }
    }

    /// True when only line breaks remain, so trailing empty lines are not records.
    bool onlyLineBreaksLeft() const
    {
        for (std::size_t i = mPosition; i < mText.size(); ++i) {
            if (mText[i] != '\r' && mText[i] != '\n')
                return false;
        }
        return true;
    }

private:
    void readPlainField(std::string& field)
    {
        while (mPosition < mText.size()) {
            const char c = mText[mPosition];
            if (c == ',' || c == '\n' || c == '\r')
                return;
            if (c == '"')
                throw InputError(mSource + " line " + std::to_string(mLine) +
                                 ": double quote inside an unquoted field; quote the whole field and write "
                                 "each inner quote as \"\"");
            field.push_back(c);
            ++mPosition;
        }
    }

    void readQuotedField(std::string& field)
    {
        const std::int64_t openingLine = mLine;
        ++mPosition;  // opening quote
        while (true) {
            if (mPosition >= mText.size())
                throw InputError(mSource + " line " + std::to_string(openingLine) +
                                 ": quoted field is not closed before the end of the file");
            const char c = mText[mPosition];
            if (c == '"') {
                if (mPosition + 1 < mText.size() && mText[mPosition + 1] == '"') {
                    field.push_back('"');
                    mPosition += 2;
                    continue;
                }
                ++mPosition;  // closing quote
                break;
            }
            if (c == '\n')
                ++mLine;
            field.push_back(c);
            ++mPosition;
        }
        if (mPosition < mText.size()) {
            const char next = mText[mPosition];
            if (next != ',' && next != '\n' && next != '\r')
                throw InputError(mSource + " line " + std::to_string(mLine) + ": unexpected character '" +
                                 std::string(1, next) + "' after a closing double quote; expected a comma or a line break");
        }
    }

    void skipLineBreak()
    {
        if (mText[mPosition] == '\r')
            ++mPosition;
        if (mPosition < mText.size() && mText[mPosition] == '\n')
            ++mPosition;
        ++mLine;
    }

    std::string_view mText;
    const std::string& mSource;
    std::size_t mPosition = 0;
    std::int64_t mLine = 1;
};

}  // namespace

int CsvTable::columnIndex(const std::string& name) const
{
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] == name)
            return static_cast<int>(i);
    }
    return -1;
}

CsvTable parseCsv(std::string_view text, const std::string& source)
{
    constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
    if (text.substr(0, kByteOrderMark.size()) == kByteOrderMark)
        text.remove_prefix(kByteOrderMark.size());

    CsvTable table;
    table.source = source;
    CsvParser parser(text, source);
    std::int64_t line = 0;
    if (parser.onlyLineBreaksLeft() || !parser.nextRecord(table.header, line))
        throw InputError(source + ": the file is empty; expected a header row with the column names");

    std::set<std::string> seen;
    for (const auto& name : table.header) {
        if (!seen.insert(name).second)
            throw InputError(source + " line " + std::to_string(line) + ": column name '" + name +
                             "' appears twice in the header; column names must be unique");
    }

    std::vector<std::string> fields;
    while (!parser.onlyLineBreaksLeft() && parser.nextRecord(fields, line)) {
        if (fields.size() != table.header.size())
            throw InputError(source + " line " + std::to_string(line) + ": expected " +
                             std::to_string(table.header.size()) + " fields as in the header, found " +
                             std::to_string(fields.size()));
        table.rows.push_back(fields);
        table.lineNumbers.push_back(line);
    }
    return table;
}

CsvTable readCsv(const std::string& path)
{
    std::error_code error;
    if (!std::filesystem::exists(path, error))
        throw InputError(path + ": file not found");
    if (std::filesystem::is_directory(path, error))
        throw InputError(path + ": is a directory, expected a CSV file");
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw InputError(path + ": cannot open the file for reading");
    std::ostringstream content;
    content << file.rdbuf();
    if (file.bad())
        throw InputError(path + ": read failed");
    return parseCsv(content.str(), path);
}

}  // namespace mtlw::data
